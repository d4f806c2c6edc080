//! What every custom op shares: reading candle's strided CPU storage, and choosing how many
//! threads a kernel uses.



/// The elements in layout order: borrowed when the layout is one contiguous run, otherwise
/// gathered by [`map_layout`].
pub(crate) fn layout_slice<'a, T: Copy>(v: &'a [T], layout: &candle_core::Layout) -> std::borrow::Cow<'a, [T]> {
    match layout.contiguous_offsets() {
        Some((a, b)) => std::borrow::Cow::Borrowed(&v[a..b]),
        None => std::borrow::Cow::Owned(map_layout(v, layout, |x| x)),
    }
}

/// Applies `f` to the elements of a strided CPU buffer, in row-major order of `layout`: the
/// innermost axes that are contiguous in memory are read as runs, the outer ones by an
/// odometer (a broadcast over leading axes, such as labels against draws `[S, B, n]`, is `S·B`
/// runs of `n`, not an index computation per element).
pub(crate) fn map_layout<T: Copy, U>(v: &[T], layout: &candle_core::Layout, mut f: impl FnMut(T) -> U) -> Vec<U> {
    match layout.contiguous_offsets() {
        Some((a, b)) => v[a..b].iter().map(|&x| f(x)).collect(),
        None => {
            let (dims, strides) = (layout.dims(), layout.stride());
            let n: usize = dims.iter().product();
            let (mut run, mut k) = (1usize, dims.len());
            while k > 0 && (dims[k - 1] == 1 || strides[k - 1] == run) {
                run *= dims[k - 1];
                k -= 1;
            }
            let mut idx = vec![0usize; k];
            let mut out = Vec::with_capacity(n);
            let mut off = layout.start_offset();
            for _ in 0..n / run.max(1) {
                out.extend(v[off..off + run].iter().map(|&x| f(x)));
                for d in (0..k).rev() {
                    idx[d] += 1;
                    off += strides[d];
                    if idx[d] < dims[d] {
                        break;
                    }
                    off -= strides[d] * dims[d];
                    idx[d] = 0;
                }
            }
            out
        }
    }
}

/// A CPU storage's elements as f64, in row-major order of `layout`.
pub(crate) fn storage_f64(s: &candle_core::CpuStorage, layout: &candle_core::Layout) -> candle_core::Result<Vec<f64>> {
    Ok(match s {
        candle_core::CpuStorage::F64(v) => map_layout(v, layout, |x| x),
        candle_core::CpuStorage::F32(v) => map_layout(v, layout, |x| x as f64),
        _ => candle_core::bail!("probrs ops support float32 and float64 only"),
    })
}

/// A contiguous input's elements, borrowed (fused ops make their inputs contiguous first);
/// `op` names the op in the error otherwise.
pub(crate) fn contiguous_slice<'a, T>(s: &'a [T], layout: &candle_core::Layout, op: &str) -> candle_core::Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((a, b)) => Ok(&s[a..b]),
        None => candle_core::bail!("{op}: non-contiguous input"),
    }
}

/// `f` of a tensor's elements in row-major order: borrowed from its CPU storage when contiguous,
/// else copied.
pub(crate) fn with_slice<T: candle_core::WithDType, R>(t: &candle_core::Tensor, f: impl FnOnce(&[T]) -> R) -> candle_core::Result<R> {
    {
        let (st, l) = t.storage_and_layout();
        if let (candle_core::Storage::Cpu(cs), Some((a, b))) = (&*st, l.contiguous_offsets()) {
            return Ok(f(&T::cpu_storage_as_slice(cs)?[a..b]));
        }
    }
    let v = t.flatten_all()?.to_vec1::<T>()?;
    Ok(f(&v))
}

/// The thread count of probrs's own parallel kernels: `RAYON_NUM_THREADS`, else
/// `CANDLE_NUM_THREADS`, else 1.
pub(crate) fn op_threads() -> usize {
    ["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"].iter().find_map(|k| std::env::var(k).ok().and_then(|s| s.parse::<usize>().ok()).filter(|n| *n > 0)).unwrap_or(1)
}

/// Elementary steps below which probrs's kernels stay on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 16;

/// Threads for a kernel of `work` elementary steps: `op_threads()` when the work is worth a
/// thread each (spawning costs tens of microseconds), else 1.
pub(crate) fn threads_for(work: usize) -> usize {
    if work >= PARALLEL_MIN_WORK {
        op_threads()
    } else {
        1
    }
}

/// `f(lo, hi)` over contiguous ranges splitting `0..n` — `threads_for(n · cost)` of them, run
/// inline when one. Results in range order.
pub(crate) fn parallel_ranges<R: Send>(n: usize, cost: usize, f: impl Fn(usize, usize) -> R + Sync) -> Vec<R> {
    let t = threads_for(n.saturating_mul(cost)).min(n.max(1));
    if t == 1 {
        return vec![f(0, n)];
    }
    let chunk = n.div_ceil(t);
    std::thread::scope(|sc| {
        let f = &f;
        let hs: Vec<_> = (0..t).map(|j| sc.spawn(move || f((j * chunk).min(n), ((j + 1) * chunk).min(n)))).collect();
        hs.into_iter().map(|h| h.join().expect("probrs worker thread")).collect()
    })
}

/// candle asks for its thread count on every matmul (forward and backward), and without
/// `RAYON_NUM_THREADS` that means re-reading `/proc/cpuinfo` and the CPU masks each time — 13%
/// of a Gaussian-process VI step, measured. Once per process, before the first matmul, this sets
/// `RAYON_NUM_THREADS` (when unset) to `CANDLE_NUM_THREADS` if given, else to candle's own
/// default, so the count is read from the environment afterwards. Same thread counts as
/// before, without the per-call probing. faer's factorizations (Cholesky, inverses) get the
/// same count: sequential for one thread, rayon's pool otherwise.
pub(crate) fn fix_matmul_thread_count() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            let n = std::env::var("CANDLE_NUM_THREADS").ok().and_then(|s| s.parse::<usize>().ok()).filter(|n| *n > 0).unwrap_or_else(candle_core::utils::get_num_threads);
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
        let n = op_threads();
        faer::set_global_parallelism(if n > 1 { faer::Par::rayon(n) } else { faer::Par::Seq });
    });
}

/// A CPU tensor's elements as f64, in row-major order (what a custom op's backward pass reads
/// its inputs and upstream gradient with).
pub(crate) fn tensor_f64(t: &candle_core::Tensor) -> candle_core::Result<Vec<f64>> {
    let (s, l) = t.storage_and_layout();
    match &*s {
        candle_core::Storage::Cpu(c) => storage_f64(c, l),
        _ => candle_core::bail!("probrs's fused kernels run on the CPU only"),
    }
}

/// A tensor of `like`'s shape, dtype and device holding `values` (a backward pass's gradient).
pub(crate) fn f64_like(values: Vec<f64>, like: &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
    match like.dtype() {
        candle_core::DType::F32 => candle_core::Tensor::from_vec(values.into_iter().map(|x| x as f32).collect::<Vec<f32>>(), like.dims(), like.device()),
        _ => candle_core::Tensor::from_vec(values, like.dims(), like.device()),
    }
}
