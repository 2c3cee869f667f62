//! Integration tests: one binary (as ripgrep does) driving the library and
//! the real `ideaflow` command.

mod bad_input;
mod bass_validation;
mod cli;
mod climate;
mod cluster;
mod determinism;
mod docs;
mod edge;
mod fuzz;
mod guards;
mod hostile;
mod layers;
mod march;
mod merge_fuzz;
mod merge_hostile;
mod outputs;
mod practices;
mod properties;
mod readme;
mod resume;
mod slurm_scripts;
mod util;
