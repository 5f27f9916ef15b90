//! The interleaved measurement both wall-clock benchmarks use (`update`,
//! and the generated GET of `tests/evolution/get_bench.rs`): the sides take
//! turns in a rotating order, and each ratio is the median over rounds of
//! two sides' times in the same round, so drift in the machine hits both
//! alike. See BENCHMARKS.md.

// `instructions` shares `common` but measures with callgrind instead.
#![allow(dead_code)]

use std::{
    future::Future,
    time::{Duration, Instant},
};

use tokio::runtime::Runtime;

/// Calls in flight at once in a batch.
pub const IN_FLIGHT: usize = 64;

/// The median of `values` (not empty).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Rounds in which every side runs once, the order rotating from round to
/// round; returns each side's time in every round.
pub fn interleaved<const N: usize>(
    rounds: usize,
    sides: [&mut dyn FnMut() -> Duration; N],
) -> [Vec<f64>; N] {
    let mut samples: [Vec<f64>; N] = std::array::from_fn(|_| Vec::new());
    for round in 0..rounds {
        for turn in 0..N {
            let side = (round + turn) % N;
            samples[side].push(sides[side]().as_secs_f64());
        }
    }
    samples
}

/// The median over rounds of `a`'s time over `b`'s in the same round:
/// paired by round, so that a machine slowing down or speeding up during
/// the run weighs on both sides of each ratio alike.
pub fn paired(a: &[f64], b: &[f64]) -> f64 {
    median(a.iter().zip(b).map(|(a, b)| a / b).collect())
}

pub fn timed(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

pub const SEQUENTIAL: u32 = 200;
pub const BATCHES: u32 = 20;

/// Time per call over `SEQUENTIAL` calls one after the other.
pub fn sequential<F: Future<Output = ()>>(rt: &Runtime, call: impl Fn() -> F) -> Duration {
    let elapsed = timed(|| {
        rt.block_on(async {
            for _ in 0..SEQUENTIAL {
                call().await;
            }
        })
    });
    elapsed / SEQUENTIAL
}

/// Time for `BATCHES` batches of `IN_FLIGHT` calls.
pub fn batches<F: Future<Output = ()>>(rt: &Runtime, batch: impl Fn() -> F) -> Duration {
    timed(|| {
        rt.block_on(async {
            for _ in 0..BATCHES {
                batch().await;
            }
        })
    })
}

/// Rounds of each interleaved measurement.
pub const ROUNDS: usize = 120;

/// Prints one interleaved measurement: each side's median as `figure`
/// shows it, then the sides' ratios (`ratio` of two sides' times).
pub fn report(
    what: &str,
    [sdk, raw, bare]: &[Vec<f64>; 3],
    figure: impl Fn(&[f64]) -> String,
    ratio: impl Fn(&[f64], &[f64]) -> f64,
    target: &str,
) {
    println!(
        "{what}, medians: sdk {}, raw {}, bare {}; paired by round: \
         sdk/raw {:.3} (target {target}), sdk/bare {:.3}, raw/bare {:.3}",
        figure(sdk),
        figure(raw),
        figure(bare),
        ratio(sdk, raw),
        ratio(sdk, bare),
        ratio(raw, bare),
    );
}
