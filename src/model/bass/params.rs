//! The Bass model's parameters: the `[bass]` table of a scenario, its
//! cross-field checks, its metrics, and a run's memory (docs/model.md §1.3).

use crate::model::{Check, Fmt, Issue, MetricDef};
use crate::param::{Bound, Field, ParamSet};

/// Most tie ends (agents x degree) of a network: 4 GB of neighbour lists.
pub const MAX_TIES: u64 = 1_000_000_000;

/// Peak bytes of one run, from footprints measured with
/// `/usr/bin/time -f %M` on runs of 10^5 to 2x10^6 agents.
pub fn memory_per_run(params: &ParamSet) -> u64 {
    let agents = params.u64("bass.agents");
    match params.str("bass.network") {
        // One count for the whole population, a byte per agent.
        "complete" => agents,
        // Neighbour lists (CSR, 4 bytes per tie end) and the per-agent
        // state (cursor, place in the exposed lists, offsets: about 20
        // bytes), plus what building the network takes on top. Measured
        // peaks per run at 2x10^6 agents: small world 65 / 200 bytes per
        // agent at degree 10 / 40; random graph (built from an edge list)
        // 95 / 319.
        "random" => agents.saturating_mul(9 * params.u64("bass.degree") + 32),
        _ => agents.saturating_mul(5 * params.u64("bass.degree") + 32),
    }
}

/// The Bass model's cross-field checks: the network against the number
/// of agents, and the initial adopters against it.
pub fn checks() -> Vec<Check> {
    vec![
        Check::new(
            &["bass.agents", "bass.degree", "bass.network"],
            BassParams::check_network,
        ),
        Check::new(
            &["bass.agents", "bass.initial_adopters"],
            BassParams::check_seeds,
        ),
    ]
}

/// The network names accepted by `bass.network`.
pub const NETWORKS: &[&str] = &["complete", "ring", "small_world", "random"];

/// The `[bass]` table of a scenario.
pub const FIELDS: &[Field] = &[
    Field::int("bass.agents", 1, 100_000_000, 1000, "Number of agents N"),
    Field::float(
        "bass.p",
        Bound::Incl(0.0),
        Bound::Open,
        0.03,
        "Coefficient of innovation (external influence), per year",
    ),
    Field::float(
        "bass.q",
        Bound::Incl(0.0),
        Bound::Open,
        0.38,
        "Coefficient of imitation (social influence), per year",
    ),
    Field::float(
        "bass.dt",
        Bound::Excl(0.0),
        Bound::Incl(1000.0),
        0.1,
        // Bounded so that model time (step x dt) stays finite.
        "Length of a step, in years",
    ),
    Field::choice(
        "bass.network",
        NETWORKS,
        "complete",
        "Who influences whom: complete, ring, small_world or random",
    ),
    Field::int(
        "bass.degree",
        1,
        100_000_000,
        10,
        "Degree of ring and small_world (even), mean degree of random; must be less than agents",
    ),
    Field::float(
        "bass.rewire",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.1,
        "small_world: probability that a lattice tie is rewired (Watts-Strogatz beta)",
    ),
    Field::int(
        "bass.initial_adopters",
        0,
        100_000_000,
        0,
        "Agents who have adopted at step 0, chosen at random",
    ),
];

/// The metrics of the Bass model, in column order.
pub const METRICS: &[MetricDef] = &[
    MetricDef::level("time", Fmt::Float, "Model time in years: step * dt"),
    MetricDef::level("adopters", Fmt::Int, "Agents who have adopted"),
    MetricDef::level("adoption_fraction", Fmt::Float, "adopters / agents"),
    MetricDef::count("new_adopters", "Agents adopting during the step(s)"),
];

/// The network of a Bass run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// Everyone influences everyone (one global count, never materialised).
    Complete,
    /// Ring lattice of the given degree.
    Ring,
    /// Watts–Strogatz small world.
    SmallWorld,
    /// Erdős–Rényi random graph of the given mean degree.
    Random,
}

impl NetworkKind {
    fn from_name(s: &str) -> NetworkKind {
        match s {
            "ring" => NetworkKind::Ring,
            "small_world" => NetworkKind::SmallWorld,
            "random" => NetworkKind::Random,
            _ => NetworkKind::Complete,
        }
    }
}

/// Validated parameters of a Bass run.
#[derive(Clone, Debug, PartialEq)]
pub struct BassParams {
    /// Number of agents.
    pub agents: usize,
    /// Coefficient of innovation per year.
    pub p: f64,
    /// Coefficient of imitation per year.
    pub q: f64,
    /// Step length in years.
    pub dt: f64,
    /// Network kind.
    pub network: NetworkKind,
    /// Degree (ring, small world) or mean degree (random).
    pub degree: usize,
    /// Rewiring probability (small world).
    pub rewire: f64,
    /// Adopters at step 0.
    pub initial_adopters: usize,
}

impl BassParams {
    /// Reads validated parameters.
    pub fn from_params(ps: &ParamSet) -> BassParams {
        BassParams {
            agents: ps.u64("bass.agents") as usize,
            p: ps.f64("bass.p"),
            q: ps.f64("bass.q"),
            dt: ps.f64("bass.dt"),
            network: NetworkKind::from_name(ps.str("bass.network")),
            degree: ps.u64("bass.degree") as usize,
            rewire: ps.f64("bass.rewire"),
            initial_adopters: ps.u64("bass.initial_adopters") as usize,
        }
    }

    /// The degree and size of the network against the number of agents.
    fn check_network(ps: &ParamSet) -> Vec<Issue> {
        let agents = ps.u64("bass.agents") as usize;
        let degree = ps.u64("bass.degree") as usize;
        let net = ps.str("bass.network");
        let network = NetworkKind::from_name(net);
        let mut issues = Vec::new();
        if network != NetworkKind::Complete && degree >= agents {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.agents", "bass.network"],
                message: format!(
                    "expected a degree less than agents ({agents}) for network \"{net}\", found degree = {degree}"
                ),
            });
        }
        if network != NetworkKind::Complete && agents as u128 * degree as u128 > MAX_TIES as u128 {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.agents"],
                message: format!(
                    "expected at most {MAX_TIES} tie ends (agents x degree) so the network fits in memory, found {agents} x {degree}"
                ),
            });
        }
        if matches!(network, NetworkKind::Ring | NetworkKind::SmallWorld) && degree % 2 == 1 {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.network"],
                message: format!(
                    "expected an even degree for network \"{net}\" (degree / 2 ties on each side), found degree = {degree}"
                ),
            });
        }
        issues
    }

    /// The initial adopters against the number of agents.
    fn check_seeds(ps: &ParamSet) -> Vec<Issue> {
        let agents = ps.u64("bass.agents");
        let initial = ps.u64("bass.initial_adopters");
        let mut issues = Vec::new();
        if initial > agents {
            issues.push(Issue {
                fields: vec!["bass.initial_adopters", "bass.agents"],
                message: format!(
                    "expected at most agents ({agents}) initial adopters, found initial_adopters = {initial}"
                ),
            });
        }
        issues
    }
}
