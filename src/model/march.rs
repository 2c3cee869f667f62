//! March (1991) mutual learning: exploration and exploitation in an
//! organisational code (docs/model.md §2).
//!
//! March, J. G. (1991) "Exploration and exploitation in organizational
//! learning", Organization Science 2(1), 71–87. The period order and the
//! reading of the superior group follow the replications that reproduce
//! March's Figure 1 (Rodan 2005, Scandinavian Journal of Management 21;
//! Christensen 2015): turnover, turbulence, act, socialise (with
//! the code as it was at the start of the period), code learning.
//!
//! Choices made where the text leaves room (documented in docs/model.md):
//! - `superior = "beliefs"` changes only how performance is computed
//!   (sum_d b_id r_d, zeros counting 0, as in Watts's NetLogo version); the
//!   majority still counts the superior group's actions (docs/model.md §2.3).
//! - Fast learners are the first `fast_learners` individuals; a newcomer
//!   replacing an individual keeps that slot's learning rate.
//! - Turnover and turbulence are drawn only when p3, p4 > 0, so scenarios
//!   without them never consume those streams.
//!
//! Random streams (keyed by run seed, purpose, period, block 0: the whole
//! population is one block): reality and initial beliefs at setup; per
//! period one stream each for turnover, turbulence, action coins,
//! socialisation and code learning.

use rand::distr::Bernoulli;
use rand::{Rng, RngExt};

use crate::model::knowledge::{self, CodeLearning, ColumnCounter, Dims, MAX_DIMENSIONS, Ternary};
use crate::model::{Check, Fmt, Issue, MetricDef, Simulation};
use crate::param::ParamSet;
use crate::param::{Bound, Field};
use crate::rng::{Purpose, SETUP, stream};

const REALITY: Purpose = Purpose(0x3A2C_0001);
const BELIEFS: Purpose = Purpose(0x3A2C_0002);
const TURNOVER: Purpose = Purpose(0x3A2C_0003);
const TURBULENCE: Purpose = Purpose(0x3A2C_0004);
const ACT: Purpose = Purpose(0x3A2C_0005);
const SOCIALISE: Purpose = Purpose(0x3A2C_0006);
const CODE: Purpose = Purpose(0x3A2C_0007);

/// The `[march]` table of a scenario.
pub const FIELDS: &[Field] = &[
    Field::int(
        "march.dimensions",
        1,
        MAX_DIMENSIONS as i64,
        30,
        "Dimensions of reality m",
    ),
    Field::int("march.individuals", 1, 1_000_000, 50, "Individuals n"),
    Field::float(
        "march.p1",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.5,
        "Socialisation rate: chance per period that a belief moves toward a differing code",
    ),
    Field::float(
        "march.p2",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.5,
        "Code learning rate: the code adopts a majority of k with chance 1 - (1 - p2)^k",
    ),
    Field::float(
        "march.p3",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.0,
        "Turnover: chance per period that an individual is replaced by a newcomer",
    ),
    Field::float(
        "march.p4",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.0,
        "Turbulence: chance per period that a dimension of reality flips",
    ),
    Field::int(
        "march.fast_learners",
        0,
        1_000_000,
        0,
        "Individuals who socialise at p1_fast instead of p1",
    ),
    Field::float(
        "march.p1_fast",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.9,
        "Socialisation rate of fast learners",
    ),
    Field::choice(
        "march.code_update",
        &["jump", "stepwise"],
        "jump",
        "How the code moves to a majority: jump, or stepwise through 0 (March's BASIC code)",
    ),
    Field::choice(
        "march.superior",
        &["performance", "beliefs"],
        "performance",
        "Who is superior to the code: by performance of actions, or of beliefs with zeros counting 0",
    ),
    Field::boolean(
        "march.stop_at_equilibrium",
        true,
        "Stop a run at equilibrium (only when p3 = p4 = 0); its final state stands for later steps",
    ),
];

/// The metrics of the March model, in column order.
pub const METRICS: &[MetricDef] = &[
    MetricDef::level(
        "code_score",
        Fmt::Float,
        "sum_d c_d r_d / m: correct minus incorrect code dimensions",
    ),
    MetricDef::level(
        "code_knowledge",
        Fmt::Float,
        "Share of dimensions where c_d = r_d",
    ),
    MetricDef::level(
        "belief_knowledge",
        Fmt::Float,
        "Mean over individuals of the share of dimensions where b_id = r_d",
    ),
    MetricDef::level(
        "belief_diversity",
        Fmt::Float,
        "Chance that two different individuals differ on a dimension, averaged over dimensions",
    ),
    MetricDef::level(
        "superior_size",
        Fmt::Int,
        "Individuals superior to the code in the last period",
    ),
    MetricDef::level(
        "at_equilibrium",
        Fmt::Bool,
        "Every belief equals the code and the code has no zeros",
    ),
];

/// Run-level columns of runs.csv.
pub const RUN_COLUMNS: &[&str] = &["equilibrium_step"];

/// Peak bytes of one run: packed beliefs (10^6 individuals x 64
/// dimensions: 36 MB).
pub fn memory_per_run(params: &ParamSet) -> u64 {
    let n = params.u64("march.individuals");
    let m = params.u64("march.dimensions");
    n.saturating_mul(m / 2 + 4)
}

/// The March model's cross-field check: fast learners among the
/// individuals.
pub fn checks() -> Vec<Check> {
    vec![Check::new(
        &["march.fast_learners", "march.individuals"],
        MarchParams::check,
    )]
}

/// Validated parameters of a March run.
#[derive(Clone, Debug, PartialEq)]
pub struct MarchParams {
    /// Dimensions m.
    pub dimensions: u32,
    /// Individuals n.
    pub individuals: usize,
    /// Socialisation rate.
    pub p1: f64,
    /// Code learning rate.
    pub p2: f64,
    /// Turnover.
    pub p3: f64,
    /// Turbulence.
    pub p4: f64,
    /// Fast learners.
    pub fast_learners: usize,
    /// Their socialisation rate.
    pub p1_fast: f64,
    /// Jump (true) or stepwise code update.
    pub jump: bool,
    /// Superior by beliefs (true) or by performance of actions (false).
    pub superior_by_beliefs: bool,
    /// Stop at equilibrium.
    pub stop_at_equilibrium: bool,
}

impl MarchParams {
    /// Reads validated parameters.
    pub fn from_params(ps: &ParamSet) -> MarchParams {
        MarchParams {
            dimensions: ps.u64("march.dimensions") as u32,
            individuals: ps.u64("march.individuals") as usize,
            p1: ps.f64("march.p1"),
            p2: ps.f64("march.p2"),
            p3: ps.f64("march.p3"),
            p4: ps.f64("march.p4"),
            fast_learners: ps.u64("march.fast_learners") as usize,
            p1_fast: ps.f64("march.p1_fast"),
            jump: ps.str("march.code_update") == "jump",
            superior_by_beliefs: ps.str("march.superior") == "beliefs",
            stop_at_equilibrium: ps.bool("march.stop_at_equilibrium"),
        }
    }

    /// Checks that need more than one field.
    fn check(ps: &ParamSet) -> Vec<Issue> {
        let fast = ps.u64("march.fast_learners");
        let individuals = ps.u64("march.individuals");
        let mut issues = Vec::new();
        if fast > individuals {
            issues.push(Issue {
                fields: vec!["march.fast_learners", "march.individuals"],
                message: format!(
                    "expected at most individuals ({individuals}) fast learners, found fast_learners = {fast}"
                ),
            });
        }
        issues
    }

    /// Whether an equilibrium can exist (no turnover, no turbulence).
    pub fn can_settle(&self) -> bool {
        self.p3 <= 0.0 && self.p4 <= 0.0
    }
}

fn bernoulli(p: f64) -> Bernoulli {
    Bernoulli::new(p.clamp(0.0, 1.0)).unwrap_or(Bernoulli::new(0.0).expect("0 is a probability"))
}

/// One run of the March model.
#[derive(Debug)]
pub struct March {
    seed: u64,
    p: MarchParams,
    dims: Dims,
    reality: u64,
    code: Ternary,
    beliefs: Vec<Ternary>,
    /// Action sign bits of the current period (reused buffer).
    actions: Vec<u64>,
    socialise_slow: Bernoulli,
    socialise_fast: Bernoulli,
    turnover: Bernoulli,
    turbulence: Bernoulli,
    learning: CodeLearning,
    votes: ColumnCounter,
    superior_size: u64,
    equilibrium_step: Option<u64>,
}

impl March {
    /// Draws reality and beliefs; the code starts all 0.
    pub fn new(p: &MarchParams, run_seed: u64) -> March {
        let dims = Dims::new(p.dimensions);
        let reality = dims.random_signs(&mut stream(run_seed, REALITY, SETUP, 0));
        let mut rng = stream(run_seed, BELIEFS, SETUP, 0);
        let beliefs = (0..p.individuals)
            .map(|_| Ternary::uniform(&mut rng, dims))
            .collect();
        March {
            seed: run_seed,
            dims,
            reality,
            code: Ternary::ZERO,
            beliefs,
            actions: vec![0; p.individuals],
            socialise_slow: bernoulli(p.p1),
            socialise_fast: bernoulli(p.p1_fast),
            turnover: bernoulli(p.p3),
            turbulence: bernoulli(p.p4),
            learning: CodeLearning::new(p.p2, p.individuals, p.jump),
            votes: ColumnCounter::new(p.individuals as u64),
            superior_size: 0,
            equilibrium_step: None,
            p: p.clone(),
        }
    }

    /// The organisational code.
    pub fn code(&self) -> Ternary {
        self.code
    }

    /// Reality, as sign bits.
    pub fn reality(&self) -> u64 {
        self.reality
    }

    /// Every individual's beliefs.
    pub fn beliefs(&self) -> &[Ternary] {
        &self.beliefs
    }

    /// Dimensions.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The period at which equilibrium was first reached.
    pub fn equilibrium_step(&self) -> Option<u64> {
        self.equilibrium_step
    }

    /// Every belief equals the code and the code has no zeros.
    pub fn at_equilibrium(&self) -> bool {
        self.code.nz == self.dims.mask() && self.beliefs.iter().all(|&b| b == self.code)
    }

    fn turnover<R: Rng>(&mut self, rng: &mut R) {
        for b in self.beliefs.iter_mut() {
            if rng.sample(self.turnover) {
                *b = Ternary::uniform(rng, self.dims);
            }
        }
    }

    fn turbulence<R: Rng>(&mut self, rng: &mut R) {
        for d in 0..self.dims.m() {
            if rng.sample(self.turbulence) {
                self.reality ^= 1u64 << d;
            }
        }
    }
}

impl Simulation for March {
    fn observe(&self, out: &mut [f64], levels: bool) {
        if !levels {
            return; // every March metric is a level
        }
        let m = f64::from(self.dims.m());
        let n = self.beliefs.len();
        out[0] = f64::from(self.code.score(self.reality)) / m;
        out[1] = f64::from(self.code.correct(self.reality).count_ones()) / m;
        let correct: u64 = self
            .beliefs
            .iter()
            .map(|b| u64::from(b.correct(self.reality).count_ones()))
            .sum();
        out[2] = correct as f64 / (m * n as f64);
        out[3] = knowledge::belief_diversity(self.beliefs.iter(), self.dims, n as u64);
        out[4] = self.superior_size as f64;
        out[5] = f64::from(u8::from(self.at_equilibrium()));
    }

    fn step(&mut self, step: u64) {
        let seed = self.seed;
        if self.p.p3 > 0.0 {
            self.turnover(&mut stream(seed, TURNOVER, step, 0));
        }
        if self.p.p4 > 0.0 {
            self.turbulence(&mut stream(seed, TURBULENCE, step, 0));
        }

        // Act, and find the individuals superior to the code.
        let reality = self.reality;
        let code = self.code;
        let code_perf = code.score(reality);
        let mask = self.dims.mask();
        let m = self.dims.m() as i32;
        let mut coins = stream(seed, ACT, step, 0);
        self.votes.clear();
        for (b, a) in self.beliefs.iter().zip(self.actions.iter_mut()) {
            *a = b.act(coins.next_u64()) & mask;
            let perf = if self.p.superior_by_beliefs {
                b.score(reality)
            } else {
                m - 2 * ((*a ^ reality) & mask).count_ones() as i32
            };
            if perf > code_perf {
                self.votes.add(*a);
            }
        }
        self.superior_size = self.votes.added();

        // Socialise toward the code as it was at the start of the period.
        let mut rng = stream(seed, SOCIALISE, step, 0);
        let fast = self.p.fast_learners;
        for (i, b) in self.beliefs.iter_mut().enumerate() {
            let bern = if i < fast {
                &self.socialise_fast
            } else {
                &self.socialise_slow
            };
            knowledge::socialise(b, code, bern, &mut rng);
        }

        // The code learns from the superior group's majority.
        self.learning.learn(
            &mut self.code,
            &self.votes,
            self.dims,
            &mut stream(seed, CODE, step, 0),
        );

        if self.equilibrium_step.is_none() && self.p.can_settle() && self.at_equilibrium() {
            self.equilibrium_step = Some(step);
        }
    }

    fn finished(&self) -> bool {
        self.p.stop_at_equilibrium && self.equilibrium_step.is_some()
    }

    fn run_values(&self, out: &mut [f64]) {
        out[0] = self.equilibrium_step.map_or(f64::NAN, |s| s as f64);
    }
}
