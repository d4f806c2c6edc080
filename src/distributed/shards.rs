//! `Shards`: how a data set's rows are cut into blocks and the blocks dealt to ranks (Stan's
//! `map_rect` jobs).
//!
//! Block `b` of `B` holds rows `⌊bN/B⌋ … ⌊(b+1)N/B⌋ − 1`; rank `r` of `P` holds blocks
//! `⌊rB/P⌋ … ⌊(r+1)B/P⌋ − 1`, so any row count and any rank count work, and shard sizes differ
//! by at most one block ([`Shards::with_block_rows`] makes blocks of a fixed size instead).
//! The blocks — not the ranks — fix every sum: a sharded sum adds one partial per block, in
//! block order, so its value and gradients are the same bit for bit on any number of ranks
//! that share the blocks (as `map_rect`'s results do not depend on how many processes run its
//! jobs).

use super::communicator::Communicator;
use crate::error::{Error, Result};
use std::ops::Range;

/// One block of rows, as the rank that holds it sees it.
///
/// ```
/// use probrs::distributed::{Shards, SingleProcess};
/// let shards = Shards::new(10, 3, &SingleProcess)?;
/// let b = shards.local_blocks().nth(1).unwrap();
/// assert_eq!((b.index, b.rows.clone(), b.local.clone()), (1, 3..6, 3..6));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The block's index, from 0.
    pub index: usize,
    /// Its rows, as indices of the whole data set.
    pub rows: Range<usize>,
    /// Its rows, as indices into this rank's shard (the rows this rank loaded).
    pub local: Range<usize>,
}

/// The blocks of `num_rows` rows and the ranks that hold them.
///
/// ```
/// use probrs::distributed::{Shards, ThreadRanks};
/// // 10 rows, 4 blocks (2, 3, 2, 3 rows), 3 ranks: blocks {0}, {1}, {2, 3}.
/// let groups = ThreadRanks::group(3)?;
/// let rows: Vec<_> = groups.iter().map(|c| Shards::new(10, 4, c).map(|s| s.local_rows())).collect::<probrs::Result<_>>()?;
/// assert_eq!(rows, vec![0..2, 2..5, 5..10]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shards {
    num_rows: usize,
    num_blocks: usize,
    /// `Some(k)`: blocks of `k` rows from row 0 (the last one shorter); `None`: balanced.
    rows_per_block: Option<usize>,
    num_ranks: usize,
    rank: usize,
}

impl Shards {
    /// The default block count: the smallest power of two that is at least the rank count and
    /// at least `⌈N / 4096⌉` clamped to 16…64 (blocks of about 4096 rows or more, 16 to 64 of
    /// them), and at most `N`. A fit's numbers are the same on every rank count up to that many
    /// blocks (on 1 to 16 ranks at least); a power of two splits evenly over 2, 4, 8, … ranks.
    /// Bigger blocks cost less per block (each is one kernel call and one partial to exchange);
    /// more blocks let more ranks share the rows evenly.
    ///
    /// ```
    /// use probrs::distributed::Shards;
    /// assert_eq!(Shards::default_blocks(50_000, 1), 16);
    /// assert_eq!(Shards::default_blocks(50_000, 2), 16);
    /// assert_eq!(Shards::default_blocks(200_000, 1), 64);
    /// assert_eq!(Shards::default_blocks(100_000_000, 100), 128);
    /// assert_eq!(Shards::default_blocks(10, 4), 10);
    /// ```
    pub fn default_blocks(num_rows: usize, num_ranks: usize) -> usize {
        let by_rows = num_rows.div_ceil(4096).clamp(16, 64);
        by_rows.max(num_ranks).next_power_of_two().min(num_rows.max(1))
    }

    /// `num_rows` rows in `num_blocks` blocks over `comm`'s ranks. Needs `ranks ≤ num_blocks ≤
    /// num_rows`: every rank holds at least one block, and no block is empty.
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// assert_eq!(Shards::new(5, 5, &SingleProcess)?.num_blocks(), 5);
    /// assert!(Shards::new(5, 6, &SingleProcess).is_err()); // a block would be empty
    /// assert!(Shards::new(0, 1, &SingleProcess).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(num_rows: usize, num_blocks: usize, comm: &dyn Communicator) -> Result<Self> {
        if num_rows < comm.size() {
            return Err(Error::invalid_parameter("num_rows", format!("{num_rows} rows on {} ranks: every rank needs at least one row", comm.size())));
        }
        if num_blocks < comm.size() || num_blocks > num_rows {
            return Err(Error::invalid_parameter("num_blocks", format!("must be between the rank count {} and the row count {num_rows}, got {num_blocks}", comm.size())));
        }
        Ok(Shards { num_rows, num_blocks, rows_per_block: None, num_ranks: comm.size(), rank: comm.rank() })
    }

    /// Blocks of `rows_per_block` rows from row 0, the last one shorter: the fixed blocks a
    /// single-process computation already sums over (the GLM fit's Gram matrix, 4096 rows), so
    /// the sharded sum is bit for bit the single-process one. Needs at least one block per rank.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ThreadRanks};
    /// let ranks = ThreadRanks::group(2)?;
    /// let s = Shards::with_block_rows(10_000, 4096, &ranks[1])?;
    /// assert_eq!((s.num_blocks(), s.block_rows(2), s.local_rows()), (3, 8192..10_000, 4096..10_000));
    /// assert!(Shards::with_block_rows(4000, 4096, &ranks[0]).is_err()); // one block, two ranks
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_block_rows(num_rows: usize, rows_per_block: usize, comm: &dyn Communicator) -> Result<Self> {
        if rows_per_block == 0 {
            return Err(Error::invalid_parameter("rows_per_block", "must be at least 1"));
        }
        let num_blocks = num_rows.div_ceil(rows_per_block);
        if num_blocks < comm.size() {
            return Err(Error::invalid_parameter("rows_per_block", format!("{num_rows} rows in blocks of {rows_per_block} make {num_blocks} blocks for {} ranks: every rank needs a block (use smaller blocks)", comm.size())));
        }
        Ok(Shards { num_rows, num_blocks, rows_per_block: Some(rows_per_block), num_ranks: comm.size(), rank: comm.rank() })
    }

    /// The rows per block when the blocks have a fixed size ([`Shards::with_block_rows`]).
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// assert_eq!(Shards::with_block_rows(100, 30, &SingleProcess)?.rows_per_block(), Some(30));
    /// assert_eq!(Shards::new(100, 3, &SingleProcess)?.rows_per_block(), None);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn rows_per_block(&self) -> Option<usize> {
        self.rows_per_block
    }

    /// [`Shards::new`] with [`Shards::default_blocks`].
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// let s = Shards::even(100_000, &SingleProcess)?;
    /// assert_eq!((s.num_blocks(), s.local_rows()), (32, 0..100_000));
    /// let small = Shards::even(1000, &SingleProcess)?;
    /// assert_eq!(small.num_blocks(), 16);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn even(num_rows: usize, comm: &dyn Communicator) -> Result<Self> {
        Self::new(num_rows, Self::default_blocks(num_rows, comm.size()), comm)
    }

    /// The rows in all.
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// assert_eq!(Shards::new(7, 2, &SingleProcess)?.num_rows(), 7);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// The blocks in all.
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// assert_eq!(Shards::new(7, 2, &SingleProcess)?.num_blocks(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_blocks(&self) -> usize {
        self.num_blocks
    }

    /// Block `b`'s rows (indices of the whole data set).
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// let s = Shards::new(7, 2, &SingleProcess)?;
    /// assert_eq!((s.block_rows(0), s.block_rows(1)), (0..3, 3..7));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn block_rows(&self, b: usize) -> Range<usize> {
        let at = |k: usize| match self.rows_per_block {
            Some(size) => (k * size).min(self.num_rows),
            None => (k as u128 * self.num_rows as u128 / self.num_blocks as u128) as usize,
        };
        at(b)..at(b + 1)
    }

    /// The blocks rank `r` holds.
    ///
    /// ```
    /// use probrs::distributed::{Shards, SingleProcess};
    /// assert_eq!(Shards::new(100, 8, &SingleProcess)?.rank_blocks(0), 0..8);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn rank_blocks(&self, r: usize) -> Range<usize> {
        let at = |k: usize| k * self.num_blocks / self.num_ranks;
        at(r)..at(r + 1)
    }

    /// How many blocks each rank holds, in rank order.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ThreadRanks};
    /// let ranks = ThreadRanks::group(2)?;
    /// assert_eq!(Shards::new(100, 5, &ranks[0])?.blocks_per_rank(), vec![2, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn blocks_per_rank(&self) -> Vec<usize> {
        (0..self.num_ranks).map(|r| self.rank_blocks(r).len()).collect()
    }

    /// The rows this rank holds (and loads): its blocks' rows, one contiguous range.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ThreadRanks};
    /// let ranks = ThreadRanks::group(2)?;
    /// assert_eq!(Shards::new(101, 5, &ranks[1])?.local_rows(), 40..101);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn local_rows(&self) -> Range<usize> {
        let blocks = self.rank_blocks(self.rank);
        self.block_rows(blocks.start).start..self.block_rows(blocks.end).start
    }

    /// This rank's blocks, in order, with their rows in the data set and in the shard.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ThreadRanks};
    /// let ranks = ThreadRanks::group(2)?;
    /// let blocks: Vec<_> = Shards::new(10, 4, &ranks[1])?.local_blocks().map(|b| (b.index, b.local)).collect();
    /// assert_eq!(blocks, vec![(2, 0..2), (3, 2..5)]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn local_blocks(&self) -> impl Iterator<Item = Block> + '_ {
        let first = self.local_rows().start;
        self.rank_blocks(self.rank).map(move |b| {
            let rows = self.block_rows(b);
            Block { index: b, local: rows.start - first..rows.end - first, rows }
        })
    }
}

impl Shards {
    /// The sum over all blocks, in block order, of per-block vectors of `width` numbers: this
    /// rank gives its blocks' vectors (`local`, block after block), every rank gets the sum.
    /// `width` must be the same on every rank (a dimension every rank knows before the
    /// exchange). One exchange of `8 · (1 + blocks · width)` bytes per rank travels, and the
    /// additions follow the blocks' order, so the sum is the same bit for bit whatever the rank
    /// count. A rank whose `local` is an error makes every rank return [`Error::Rank`] with
    /// its message (a second exchange carries the message).
    ///
    /// ```
    /// use probrs::distributed::{Shards, ThreadRanks};
    /// // Per block: (rows in the block, sum of the rows' indices).
    /// let totals = ThreadRanks::run(2, |comm| {
    ///     let shards = Shards::new(10, 4, comm)?;
    ///     let local: Vec<f64> = shards.local_blocks().flat_map(|b| [b.rows.len() as f64, b.rows.sum::<usize>() as f64]).collect();
    ///     shards.sum_blocks(comm, Ok(local), 2)
    /// })?;
    /// assert_eq!(totals, vec![vec![10.0, 45.0]; 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sum_blocks(&self, comm: &dyn Communicator, local: Result<Vec<f64>>, width: usize) -> Result<Vec<f64>> {
        // Each rank sends a status word (0: its partials follow; 1: it failed), then its partials.
        let counts: Vec<usize> = (0..self.num_ranks).map(|r| 1 + self.rank_blocks(r).len() * width).collect();
        let mine = counts[self.rank] - 1;
        let local = local.and_then(|v| {
            if v.len() == mine {
                Ok(v)
            } else {
                Err(Error::ShapeMismatch { context: format!("rank {}'s block partials ({} blocks of {width})", self.rank, mine / width.max(1)), lhs: vec![v.len()], rhs: vec![mine] })
            }
        });
        let (buffer, failure) = match local {
            Ok(v) => (std::iter::once(0.0).chain(v).collect::<Vec<f64>>(), None),
            Err(e) => (std::iter::once(1.0).chain(std::iter::repeat_n(f64::NAN, mine)).collect(), Some(e)),
        };
        let all = comm.all_gather_f64(&buffer, &counts)?;
        let starts: Vec<usize> = counts.iter().scan(0, |at, &c| { let s = *at; *at += c; Some(s) }).collect();
        if let Some(rank) = starts.iter().position(|&s| all[s] != 0.0) {
            // Every rank saw the same status words: all of them take part in this exchange.
            let message = failure.map(|e| e.to_string()).unwrap_or_default();
            let messages = comm.all_gather_bytes(message.as_bytes())?;
            return Err(Error::Rank { rank, reason: String::from_utf8_lossy(&messages[rank]).into_owned() });
        }
        let mut sum = vec![0.0f64; width];
        for (&s, &c) in starts.iter().zip(&counts) {
            for block in all[s + 1..s + c].chunks_exact(width.max(1)) {
                sum.iter_mut().zip(block).for_each(|(a, b)| *a += b);
            }
        }
        Ok(sum)
    }
}
