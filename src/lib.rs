//! # ideaflow
//!
//! A fast, parallel, reproducible agent-based simulator of the innovation
//! climate of organisations, with the reference models it builds on
//! (Bass 1969 diffusion; March 1991 mutual learning).
//!
//! The library is organised in layers:
//! - [`scenario`]: scenario files, validation with file/line/column errors,
//!   sweeps expanded into an [`scenario::Experiment`];
//! - [`model`]: the models, pure functions of parameters and keyed random
//!   streams ([`rng`]);
//! - [`engine`]: runs in parallel, ordered bounded-memory output;
//! - [`output`]: CSV files, summaries and the manifest.
//!
//! ```no_run
//! use ideaflow::{engine, scenario};
//! let exp = scenario::load("scenarios/bass-complete.toml".as_ref(), &Default::default())?;
//! let opts = engine::RunOptions {
//!     force: true,
//!     ..engine::RunOptions::new("output/bass-complete")
//! };
//! let report = engine::run(&exp, &opts)?;
//! println!("{} runs", report.runs);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]
#![deny(clippy::float_cmp)]

pub mod compare;
pub mod engine;
pub mod error;
pub mod files;
pub mod merge;
pub mod model;
pub mod output;
pub mod param;
pub mod plot;
pub mod rng;
pub mod scenario;
pub mod slurm;

pub use error::Error;

/// Git commit of this build ("unknown" outside a git checkout).
pub const GIT_COMMIT: &str = env!("IDEAFLOW_GIT_COMMIT");
