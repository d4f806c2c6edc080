//! Numerical routines built on the tensor facade: [`minimize`](minimize::minimize).

pub mod minimize;
pub use minimize::minimize;
