//! Cross-field checks: problems with combinations of parameters that
//! single-field ranges cannot find, each check with the fields it reads.

use crate::param::ParamSet;

/// A problem with a combination of parameters (e.g. degree >= agents),
/// found after every field was checked on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// The fields involved; the first one that the file sets is where the
    /// error points.
    pub fields: Vec<&'static str>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One cross-field check of a model.
pub struct Check {
    /// The fields whose values the check depends on (and nothing else:
    /// tests check it).
    pub reads: Vec<&'static str>,
    /// The check: the problems found at one set of parameters.
    pub run: Box<CheckFn>,
}

/// What a cross-field check does: the problems at one set of parameters.
pub type CheckFn = dyn Fn(&ParamSet) -> Vec<Issue> + Send + Sync;

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("reads", &self.reads).finish()
    }
}

impl Check {
    /// A check of fixed fields.
    pub fn new(reads: &[&'static str], run: fn(&ParamSet) -> Vec<Issue>) -> Check {
        Check {
            reads: reads.to_vec(),
            run: Box::new(run),
        }
    }
}
