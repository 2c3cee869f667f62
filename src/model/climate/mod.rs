//! The innovation-climate model (docs/model.md §3): employees with psychological
//! safety, autonomy, creativity, motivation and time pressure work in teams
//! whose leaders have a style; each week ideas are generated, voiced or kept
//! silent, reviewed, tried as experiments, implemented and spread to other
//! teams; climate responds. docs/model.md gives every equation, default and
//! source, and where and why the code departs from the specification.
//!
//! Data layout: employee state is structure-of-arrays, employees of a team
//! contiguous (`Team::start..Team::end`, the leader first). Beliefs and team
//! codes use the packed knowledge layer shared with the March model. Each
//! phase of a step loops over teams and draws from a stream keyed by
//! (run seed, purpose, internal step, team), so results never depend on the
//! order in which teams are processed and variants stay aligned.

pub mod dist;
pub mod estimate;
pub mod interventions;
pub mod leadership;
mod parallel;
pub mod params;

use rand::distr::{Bernoulli, Distribution};
use rand::{Rng, RngExt};
use rand_distr::Poisson;

use crate::model::knowledge::{self, Dims, Ternary};
use crate::model::{Fmt, MetricDef, Simulation};
use crate::rng::{Purpose, SETUP, Seeds, StepKey, Stream, stream};
use leadership::Style;
pub use params::{ClimateParams, FIELDS, ReviewMode, SizeDist};

const ORG: Purpose = Purpose(0xC11A_0001);
const REALITY: Purpose = Purpose(0xC11A_0004);
const PEOPLE: Purpose = Purpose(0xC11A_0002);
const PARTNER_SETUP: Purpose = Purpose(0xC11A_0003);
const GENERATE: Purpose = Purpose(0xC11A_0010);
const REVIEW: Purpose = Purpose(0xC11A_0011);
const EXPERIMENT: Purpose = Purpose(0xC11A_0012);
const DIFFUSE: Purpose = Purpose(0xC11A_0013);
const SOCIALISE: Purpose = Purpose(0xC11A_0014);
const PARTNERS: Purpose = Purpose(0xC11A_0015);
const TURNOVER: Purpose = Purpose(0xC11A_0016);
const ENVIRONMENT: Purpose = Purpose(0xC11A_0017);

/// The metrics of the climate model (docs/model.md §3.6), in column order.
pub const METRICS: &[MetricDef] = &[
    MetricDef::count("ideas_generated", "Ideas generated"),
    MetricDef::count(
        "ideas_voiced",
        "Ideas voiced, to the leader or reviewer or on the platform",
    ),
    MetricDef::count("ideas_silenced", "Ideas kept silent"),
    MetricDef::count(
        "ideas_platform",
        "Ideas submitted on the idea platform (a subset of ideas_voiced)",
    ),
    MetricDef::count("ideas_reviewed", "Ideas reviewed"),
    MetricDef::count("ideas_accepted", "Ideas accepted for an experiment"),
    MetricDef::count("ideas_rejected", "Ideas rejected"),
    MetricDef::count(
        "ideas_expired",
        "Ideas that waited longer than the patience and expired",
    ),
    MetricDef::level(
        "experiments_running",
        Fmt::Int,
        "Experiments running at the end of the step",
    ),
    MetricDef::count("experiments_succeeded", "Experiments that succeeded"),
    MetricDef::count("experiments_failed", "Experiments that failed"),
    MetricDef::count(
        "innovations_implemented",
        "Successful experiments: practices changed in a team's code",
    ),
    MetricDef::count(
        "platform_implemented",
        "Innovations implemented from ideas submitted on the platform",
    ),
    MetricDef::count(
        "practice_adoptions",
        "Teams adopting a practice from elsewhere by diffusion",
    ),
    MetricDef::ratio(
        "good_idea_share",
        "ideas_voiced_good",
        "ideas_voiced",
        "Share of voiced ideas that are right (v = r_d)",
    ),
    MetricDef::level(
        "org_knowledge",
        Fmt::Float,
        "Mean over teams of the code score sum_d c_jd r_d / m",
    ),
    MetricDef::level(
        "belief_diversity",
        Fmt::Float,
        "Chance that two employees differ on a dimension (March 1991)",
    ),
    MetricDef::level("psych_safety_mean", Fmt::Float, "Mean psychological safety"),
    MetricDef::level(
        "psych_safety_sd",
        Fmt::Float,
        "Sd of psychological safety across employees",
    ),
    MetricDef::level(
        "psych_safety_icc",
        Fmt::Float,
        "ICC(1) of psychological safety by team (one-way ANOVA)",
    ),
    MetricDef::level("motivation_mean", Fmt::Float, "Mean motivation"),
    MetricDef::ratio(
        "voice_rate",
        "ideas_voiced",
        "ideas_generated",
        "ideas_voiced / ideas_generated",
    ),
    MetricDef::level(
        "participation_52w",
        Fmt::Float,
        "Share of employees who voiced an idea in the last 52 weeks",
    ),
    MetricDef::level(
        "withholding_52w",
        Fmt::Float,
        "Share of employees who kept at least one idea silent in the last 52 weeks",
    ),
    MetricDef::level("headcount", Fmt::Int, "Employees"),
    MetricDef::count("leavers", "Employees who quit (and were replaced)"),
    MetricDef::hidden_count("ideas_voiced_good", "Voiced ideas that are right"),
];

/// Columns of teams.csv.
pub const TEAM_COLUMNS: &[MetricDef] = &[
    MetricDef::level("team", Fmt::Int, "Team index"),
    MetricDef::level("department", Fmt::Int, "Department index"),
    MetricDef::level("size", Fmt::Int, "Employees in the team, leader included"),
    MetricDef::level(
        "psych_safety",
        Fmt::Float,
        "Mean psychological safety of the team",
    ),
    MetricDef::level("motivation", Fmt::Float, "Mean motivation of the team"),
    MetricDef::count("ideas_voiced", "Ideas the team's employees voiced"),
    MetricDef::count("ideas_accepted", "The team's ideas accepted"),
    MetricDef::count(
        "innovations_implemented",
        "Experiments of the team that succeeded",
    ),
    MetricDef::level(
        "code_score",
        Fmt::Float,
        "The team code's score sum_d c_jd r_d / m",
    ),
];

/// The position of metric `name` in METRICS, at compile time (a wrong
/// name fails the build).
const fn metric_index(name: &str) -> usize {
    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let mut i = 0;
    while i < METRICS.len() {
        if same(METRICS[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("unknown climate metric")
}

mod m {
    //! Indices into METRICS.
    use super::metric_index as at;
    pub const GENERATED: usize = at("ideas_generated");
    pub const VOICED: usize = at("ideas_voiced");
    pub const SILENCED: usize = at("ideas_silenced");
    pub const PLATFORM: usize = at("ideas_platform");
    pub const REVIEWED: usize = at("ideas_reviewed");
    pub const ACCEPTED: usize = at("ideas_accepted");
    pub const REJECTED: usize = at("ideas_rejected");
    pub const EXPIRED: usize = at("ideas_expired");
    pub const RUNNING: usize = at("experiments_running");
    pub const SUCCEEDED: usize = at("experiments_succeeded");
    pub const FAILED: usize = at("experiments_failed");
    pub const IMPLEMENTED: usize = at("innovations_implemented");
    pub const PLATFORM_IMPLEMENTED: usize = at("platform_implemented");
    pub const ADOPTIONS: usize = at("practice_adoptions");
    pub const ORG_KNOWLEDGE: usize = at("org_knowledge");
    pub const DIVERSITY: usize = at("belief_diversity");
    pub const PSI_MEAN: usize = at("psych_safety_mean");
    pub const PSI_SD: usize = at("psych_safety_sd");
    pub const PSI_ICC: usize = at("psych_safety_icc");
    pub const MOTIVATION: usize = at("motivation_mean");
    pub const PARTICIPATION: usize = at("participation_52w");
    pub const WITHHOLDING: usize = at("withholding_52w");
    pub const HEADCOUNT: usize = at("headcount");
    pub const LEAVERS: usize = at("leavers");
    pub const VOICED_GOOD: usize = at("ideas_voiced_good");
    pub const COUNT: usize = super::METRICS.len();
}

/// Events of one step.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    generated: u64,
    voiced: u64,
    voiced_good: u64,
    silenced: u64,
    platform: u64,
    reviewed: u64,
    accepted: u64,
    rejected: u64,
    expired: u64,
    succeeded: u64,
    failed: u64,
    implemented: u64,
    platform_implemented: u64,
    adoptions: u64,
    leavers: u64,
}

impl Counts {
    /// Adds another set of counts (a chunk's, in a parallel pass).
    fn add(&mut self, o: &Counts) {
        self.generated += o.generated;
        self.voiced += o.voiced;
        self.voiced_good += o.voiced_good;
        self.silenced += o.silenced;
        self.platform += o.platform;
        self.reviewed += o.reviewed;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.expired += o.expired;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.implemented += o.implemented;
        self.platform_implemented += o.platform_implemented;
        self.adoptions += o.adoptions;
        self.leavers += o.leavers;
    }
}

/// A voiced idea waiting for review or for an experiment slot.
#[derive(Clone, Copy, Debug)]
struct Idea {
    proposer: u32,
    team: u32,
    /// Internal step at which it was voiced.
    voiced_at: u32,
    dim: u8,
    plus: bool,
    /// Submitted on the idea platform.
    platform: bool,
    /// The proposer's seat generation when voiced: feedback reaches the
    /// proposer only if they have not left since.
    generation: u32,
}

/// A running experiment.
#[derive(Clone, Copy, Debug)]
struct Running {
    idea: Idea,
    ends_at: u64,
}

/// A team and its leader's style.
#[derive(Clone, Debug)]
struct Team {
    start: u32,
    end: u32,
    department: u32,
    /// The leader's style without interventions.
    base_open: Style,
    base_close: Style,
    /// The style in force (interventions included).
    open: Style,
    close: Style,
    /// What interventions currently change for the team.
    mods: Mods,
    code: Ternary,
    /// Whether the team reviews collectively.
    collective: bool,
    /// Most experiments at once.
    slots: usize,
    /// Ideas voiced to the team's reviewer.
    inbox: ReviewQueue,
    /// Ideas from an idea session, reviewed only with booked capacity.
    session: ReviewQueue,
    waiting: Vec<Idea>,
    running: Vec<Running>,
    psi_mean: f64,
    perf_mean: f64,
    perf_sd: f64,
    voiced: u64,
    accepted: u64,
    implemented: u64,
}

impl Team {
    fn leader(&self) -> usize {
        self.start as usize
    }

    fn members(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// What interventions change for a team in the current step.
#[derive(Clone, Copy, Debug)]
struct Mods {
    /// Time pressure is tp x pressure_mul + pressure_add (clamped).
    pressure_mul: f64,
    pressure_add: f64,
    /// Idea generation multiplier (dedicated innovation time).
    generation: f64,
    /// Added to the psychological safety employees move toward.
    psi_boost: f64,
    /// Rewards level.
    rewards: f64,
    /// Extra review capacity per step (an idea session's follow-up).
    extra_capacity: f64,
}

impl Mods {
    fn base(rewards: f64) -> Mods {
        Mods {
            pressure_mul: 1.0,
            pressure_add: 0.0,
            generation: 1.0,
            psi_boost: 0.0,
            rewards,
            extra_capacity: 0.0,
        }
    }
}

/// Organisation-wide settings in force this step (parameters, changed by
/// interventions).
#[derive(Clone, Debug)]
struct Live {
    platform: bool,
    platform_beta0: f64,
    platform_beta_psi: f64,
    /// Platform ideas reviewed per step.
    platform_capacity: f64,
    platform_support: f64,
    central: bool,
    /// Central ideas reviewed per step.
    central_capacity: f64,
    central_support: f64,
    turnover: f64,
    turbulence_rate: f64,
    turbulence: Bernoulli,
}

impl Live {
    fn new(p: &ClimateParams, rates: &Rates) -> Live {
        Live {
            platform: p.platform,
            platform_beta0: p.platform_beta0,
            platform_beta_psi: p.platform_beta_psi,
            platform_capacity: rates.platform_capacity,
            platform_support: p.platform_support,
            central: p.review_mode == ReviewMode::Central,
            central_capacity: rates.central_capacity,
            central_support: p.central_support,
            turnover: p.turnover,
            turbulence_rate: p.turbulence,
            turbulence: rates.turbulence,
        }
    }
}

/// An external partner: its beliefs, how fast its ties pass them on, and
/// the share of work time each tie costs.
#[derive(Clone, Copy, Debug)]
struct Partner {
    beliefs: Ternary,
    knowledge: f64,
    copy: Bernoulli,
    attention: f64,
}

/// Partners to add.
#[derive(Clone, Copy, Debug)]
struct PartnerSpec {
    count: usize,
    ties: usize,
    knowledge: f64,
    rate: f64,
    attention: f64,
}

/// Ideas waiting for a reviewer, and the review time it has left.
#[derive(Clone, Debug, Default)]
struct ReviewQueue {
    queue: Vec<Idea>,
    budget: f64,
}

/// Step lengths and per-step probabilities derived from the per-year and
/// per-week parameters.
#[derive(Clone, Debug)]
struct Rates {
    dt: f64,
    ideas_per_step: f64,
    patience_steps: u64,
    duration_steps: u64,
    capacity: f64,
    central_capacity: f64,
    platform_capacity: f64,
    kappa: f64,
    motivation_kappa: f64,
    habit_keep: f32,
    turbulence: Bernoulli,
    steps_per_52w: u64,
}

impl Rates {
    fn new(p: &ClimateParams) -> Rates {
        let weeks = p.weeks_per_step;
        let dt = weeks / 52.0;
        let per_step = |annual: f64| 1.0 - (1.0 - annual.clamp(0.0, 1.0)).powf(dt);
        let per_step_weekly = |weekly: f64| 1.0 - (1.0 - weekly.clamp(0.0, 1.0)).powf(weeks);
        let bern = |x: f64| {
            Bernoulli::new(x.clamp(0.0, 1.0))
                .unwrap_or(Bernoulli::new(0.0).expect("0 is a probability"))
        };
        Rates {
            dt,
            ideas_per_step: p.lambda0 * dt,
            patience_steps: (p.patience / weeks).ceil().max(1.0) as u64,
            duration_steps: (p.duration / weeks).round().max(1.0) as u64,
            capacity: p.capacity * weeks,
            central_capacity: p.central_capacity * weeks,
            platform_capacity: p.platform_capacity * weeks,
            kappa: per_step_weekly(p.kappa),
            motivation_kappa: per_step_weekly(p.motivation_kappa),
            habit_keep: (-p.habit_decay * dt).exp() as f32,
            turbulence: bern(per_step(p.turbulence)),
            steps_per_52w: (52.0 / weeks).round().max(1.0) as u64,
        }
    }
}

/// One run of the climate model.
#[derive(Debug)]
pub struct Climate {
    seed: u64,
    /// The scenario's seed (what replicates share).
    scenario_seed: u64,
    p: ClimateParams,
    rates: Rates,
    dims: Dims,
    reality: u64,
    // Employees (structure of arrays, contiguous by team).
    team_of: Vec<u32>,
    psi: Vec<f32>,
    autonomy: Vec<f32>,
    creativity: Vec<f32>,
    motivation: Vec<f32>,
    motivation_base: Vec<f32>,
    pressure: Vec<f32>,
    habit: Vec<f32>,
    /// Lasting individual deviation of psychological safety from the team's
    /// (its initial deviation), part of each employee's target.
    disposition: Vec<f32>,
    perf_z: Vec<f32>,
    beliefs: Vec<Ternary>,
    /// Internal step + 1 of the last voiced / silenced idea (0: never).
    last_voiced: Vec<u32>,
    last_silenced: Vec<u32>,
    /// How many times each seat has changed hands (turnover).
    seat_generation: Vec<u32>,
    /// Partners tied to each employee (CSR).
    partner_offsets: Vec<u32>,
    partner_of: Vec<u32>,
    // Teams and the team network (outside ties aggregated by team pair).
    teams: Vec<Team>,
    net_offsets: Vec<u32>,
    net_targets: Vec<u32>,
    net_weights: Vec<f32>,
    codes_at_start: Vec<Ternary>,
    central: ReviewQueue,
    platform: ReviewQueue,
    /// The central reviewer and platform reviewer (an employee).
    central_reviewer: usize,
    partners: Vec<Partner>,
    /// Share of work time each employee gives to partner ties.
    attention: Vec<f32>,
    /// Settings in force this step.
    live: Live,
    /// The teams each intervention targets (by index).
    targets: Vec<Vec<u32>>,
    /// Practices implemented somewhere: dimensions with +1 / -1.
    practice_plus: u64,
    practice_minus: u64,
    /// Internal step (burn-in included).
    clock: u64,
    counts: Counts,
}

/// A Poisson-distributed count with mean `lambda` (0 for lambda <= 0):
/// Knuth's product-of-uniforms method for the small means of weekly idea
/// generation (one exp and about lambda + 1 uniforms), `rand_distr` for
/// large means.
#[inline]
fn poisson<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 8.0 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut prod: f64 = rng.random();
        while prod > limit {
            k += 1;
            prod *= rng.random::<f64>();
        }
        return k;
    }
    match Poisson::new(lambda) {
        Ok(d) => d.sample(rng) as u32,
        Err(_) => 0,
    }
}

#[inline]
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Climate {
    /// Builds the organisation and runs the burn-in; returns the state at
    /// step 0. The organisation's structure (team sizes, leaders' styles,
    /// the network of ties, partners' ties) comes from the scenario's seed
    /// only, so every replicate (and every scenario compared with the same
    /// seed) has the same organisation; reality, codes, people and all
    /// dynamics come from the run's seed.
    pub fn new(p: &ClimateParams, seeds: Seeds) -> Climate {
        let run_seed = seeds.run;
        let dims = Dims::new(p.dimensions);
        let rates = Rates::new(p);
        let mut org = stream(seeds.scenario, ORG, SETUP, 0);
        let mut world = stream(run_seed, REALITY, SETUP, 0);
        let reality = dims.random_signs(&mut world);

        // Team sizes and styles.
        let n_teams = p.teams();
        let sizes: Vec<usize> = (0..n_teams).map(|_| team_size(&mut org, p)).collect();
        let styles = leadership::assign(&mut org, n_teams, p.style, &p.mix);
        let mut teams = Vec::with_capacity(n_teams);
        let mut start = 0u32;
        for (j, (&size, &style)) in sizes.iter().zip(&styles).enumerate() {
            let (open, close) =
                leadership::draw_leader(&mut org, &leadership::PRESETS[style], p.spread, p.shift);
            let mut code = Ternary::ZERO;
            for d in 0..dims.m() {
                let right = world.random_bool(p.code_accuracy);
                let plus = (reality >> d & 1 == 1) == right;
                code.set(d, if plus { 1 } else { -1 });
            }
            teams.push(Team {
                start,
                end: start + size as u32,
                department: (j / p.teams_per_department) as u32,
                collective: false,
                slots: 1,
                base_open: open,
                base_close: close,
                open,
                close,
                mods: Mods::base(p.rewards),
                code,
                inbox: ReviewQueue::default(),
                session: ReviewQueue::default(),
                waiting: Vec::new(),
                running: Vec::new(),
                psi_mean: 0.0,
                perf_mean: 0.0,
                perf_sd: 0.0,
                voiced: 0,
                accepted: 0,
                implemented: 0,
            });
            start += size as u32;
        }
        let n = start as usize;

        // Employees.
        let mut people = stream(run_seed, PEOPLE, SETUP, 0);
        let mut c = Climate {
            seed: run_seed,
            scenario_seed: seeds.scenario,
            rates: rates.clone(),
            dims,
            reality,
            team_of: Vec::with_capacity(n),
            psi: Vec::with_capacity(n),
            autonomy: Vec::with_capacity(n),
            creativity: Vec::with_capacity(n),
            motivation: Vec::with_capacity(n),
            motivation_base: Vec::with_capacity(n),
            pressure: Vec::with_capacity(n),
            habit: vec![0.0; n],
            disposition: Vec::with_capacity(n),
            perf_z: vec![0.0; n],
            beliefs: Vec::with_capacity(n),
            last_voiced: vec![0; n],
            last_silenced: vec![0; n],
            seat_generation: vec![0; n],
            partner_offsets: vec![0; n + 1],
            partner_of: Vec::new(),
            net_offsets: Vec::new(),
            net_targets: Vec::new(),
            net_weights: Vec::new(),
            codes_at_start: vec![Ternary::ZERO; n_teams],
            central: ReviewQueue::default(),
            platform: ReviewQueue::default(),
            central_reviewer: 0,
            partners: Vec::new(),
            attention: vec![0.0; n],
            live: Live::new(p, &rates),
            targets: Vec::new(),
            practice_plus: 0,
            practice_minus: 0,
            clock: 0,
            counts: Counts::default(),
            teams,
            p: p.clone(),
        };
        let between_sd = p.psi_sd * p.psi_icc.sqrt();
        let within_sd = p.psi_sd * (1.0 - p.psi_icc).sqrt();
        for j in 0..c.teams.len() {
            let team_psi = dist::unit(&mut people, p.beta_dist, p.psi_mean, between_sd);
            let code = c.teams[j].code;
            for _ in c.teams[j].members() {
                c.team_of.push(j as u32);
                let psi = dist::unit(&mut people, p.beta_dist, team_psi, within_sd);
                c.psi.push(psi as f32);
                c.disposition.push((psi - team_psi) as f32);
                c.autonomy.push(
                    dist::unit(&mut people, p.beta_dist, p.autonomy_mean, p.autonomy_sd) as f32,
                );
                c.creativity
                    .push(dist::creativity(&mut people, p.creativity_sigma) as f32);
                let mu =
                    dist::unit(&mut people, p.beta_dist, p.motivation_mean, p.motivation_sd) as f32;
                c.motivation.push(mu);
                c.motivation_base.push(mu);
                c.pressure.push(
                    dist::unit(&mut people, p.beta_dist, p.pressure_mean, p.pressure_sd) as f32,
                );
                let mut b = code;
                for d in 0..dims.m() {
                    if people.random_bool(p.belief_redraw) {
                        b.set(d, people.random_range(0..3u8) as i8 - 1);
                    }
                }
                c.beliefs.push(b);
            }
        }
        c.build_network(&mut org);
        let all: Vec<u32> = (0..c.teams.len() as u32).collect();
        c.add_partners(
            PartnerSpec {
                count: p.partners,
                ties: p.partner_ties,
                knowledge: p.partner_knowledge,
                rate: p.partner_rate,
                attention: p.attention,
            },
            &all,
            &mut stream(seeds.scenario, PARTNER_SETUP, SETUP, 0),
            &mut world,
        );
        c.targets =
            c.p.interventions
                .iter()
                .map(|iv| c.resolve_targets(iv, seeds.scenario))
                .collect();
        c.refresh_styles();
        for _ in 0..p.burn_in {
            c.advance();
        }
        c.counts = Counts::default();
        for t in c.teams.iter_mut() {
            t.voiced = 0;
            t.accepted = 0;
            t.implemented = 0;
        }
        c
    }

    /// Weak ties: each employee starts weak_ties / 2 ties (so the mean
    /// degree is weak_ties), to another department with chance
    /// cross_department, else to another team of the own department (or
    /// another department when the own has one team). Only the team-level
    /// sums matter to the model (diffusion reads a team's outside ties), so
    /// they are stored as a weighted team graph.
    fn build_network(&mut self, rng: &mut Stream) {
        let n = self.team_of.len();
        let n_teams = self.teams.len();
        let tpd = self.p.teams_per_department;
        let deps = self.p.departments;
        let mut units: Vec<(u32, u32)> = Vec::new();
        let per_employee = self.p.weak_ties as f64 / 2.0;
        if n_teams > 1 {
            for i in 0..n {
                let own = self.team_of[i] as usize;
                let own_dep = own / tpd;
                let k = per_employee.floor() as usize
                    + usize::from(rng.random_bool(per_employee.fract()));
                for _ in 0..k {
                    let cross = deps > 1 && (tpd == 1 || rng.random_bool(self.p.cross_department));
                    let team = if cross {
                        let mut dep = rng.random_range(0..deps - 1);
                        if dep >= own_dep {
                            dep += 1;
                        }
                        dep * tpd + rng.random_range(0..tpd)
                    } else {
                        let mut t = rng.random_range(0..tpd - 1);
                        if t >= own % tpd {
                            t += 1;
                        }
                        own_dep * tpd + t
                    };
                    units.push(((own as u32).min(team as u32), (own as u32).max(team as u32)));
                }
            }
        }
        self.set_team_ties(&units);
    }

    /// Adds partners with beliefs correct on each dimension with chance
    /// `knowledge` (no zeros; from the run's world stream), each tied to
    /// `ties` employees of the given teams drawn at random (from the
    /// organisation's stream), and rebuilds the employee-to-partner index.
    fn add_partners(
        &mut self,
        spec: PartnerSpec,
        teams: &[u32],
        rng: &mut Stream,
        world: &mut Stream,
    ) {
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for i in 0..self.team_of.len() {
            for e in self.partner_offsets[i]..self.partner_offsets[i + 1] {
                pairs.push((i as u32, self.partner_of[e as usize]));
            }
        }
        let eligible: Vec<u32> = teams
            .iter()
            .flat_map(|&j| self.teams[j as usize].members().map(|i| i as u32))
            .collect();
        let copy = -(-spec.rate * self.rates.dt).exp_m1();
        let copy = Bernoulli::new(copy.clamp(0.0, 1.0))
            .unwrap_or(Bernoulli::new(0.0).expect("0 is a probability"));
        for _ in 0..spec.count {
            let mut b = Ternary::ZERO;
            for d in 0..self.dims.m() {
                let right = world.random_bool(spec.knowledge);
                let plus = (self.reality >> d & 1 == 1) == right;
                b.set(d, if plus { 1 } else { -1 });
            }
            let k = self.partners.len() as u32;
            self.partners.push(Partner {
                beliefs: b,
                knowledge: spec.knowledge,
                copy,
                attention: spec.attention,
            });
            if !eligible.is_empty() {
                for _ in 0..spec.ties.min(eligible.len()) {
                    pairs.push((eligible[rng.random_range(0..eligible.len())], k));
                }
            }
        }
        self.set_partner_ties(pairs);
    }

    /// Rebuilds the employee-to-partner index from (employee, partner)
    /// pairs, and each employee's attention cost.
    fn set_partner_ties(&mut self, mut pairs: Vec<(u32, u32)>) {
        let n = self.team_of.len();
        pairs.sort_unstable();
        pairs.dedup();
        self.partner_offsets = vec![0; n + 1];
        for &(e, _) in &pairs {
            self.partner_offsets[e as usize + 1] += 1;
        }
        for i in 0..n {
            self.partner_offsets[i + 1] += self.partner_offsets[i];
        }
        self.partner_of = pairs.into_iter().map(|(_, k)| k).collect();
        self.attention = vec![0.0; n];
        for i in 0..n {
            let a: f64 = (self.partner_offsets[i]..self.partner_offsets[i + 1])
                .map(|e| self.partners[self.partner_of[e as usize] as usize].attention)
                .sum();
            self.attention[i] = a.min(1.0) as f32;
        }
    }

    /// Employees in the organisation.
    pub fn headcount(&self) -> usize {
        self.team_of.len()
    }

    /// Number of teams.
    pub fn team_count(&self) -> usize {
        self.teams.len()
    }

    /// Psychological safety of every employee.
    pub fn psych_safety(&self) -> &[f32] {
        &self.psi
    }

    /// Bytes of memory held per employee (state, teams, queues, network).
    pub fn bytes_per_employee(&self) -> f64 {
        let n = self.headcount().max(1);
        let per_emp = 4 * 10 + 16 + 4 * 2 + 4; // f32 fields, beliefs, last_*, team_of
        let team_bytes: usize = self
            .teams
            .iter()
            .map(|t| {
                std::mem::size_of::<Team>()
                    + (t.inbox.queue.capacity() + t.session.queue.capacity() + t.waiting.capacity())
                        * std::mem::size_of::<Idea>()
                    + t.running.capacity() * std::mem::size_of::<Running>()
            })
            .sum();
        let net = self.net_offsets.capacity() * 4
            + self.net_targets.capacity() * 4
            + self.net_weights.capacity() * 4;
        let partners = self.partner_offsets.capacity() * 4 + self.partner_of.capacity() * 4;
        (per_emp * n + team_bytes + net + partners + self.codes_at_start.capacity() * 16) as f64
            / n as f64
    }

    /// The key shared by every team's stream for `purpose` this step.
    fn step_key(&self, purpose: Purpose) -> StepKey {
        StepKey::new(self.seed, purpose, self.clock)
    }

    /// One internal step: every phase of docs/model.md §3.4 in order.
    fn advance(&mut self) {
        self.clock += 1;
        self.counts = Counts::default();
        self.apply_interventions();
        self.generate_pass(); // team statistics, generate, voice
        self.review();
        self.experiment();
        self.diffuse();
        self.settle_pass(); // learn, climate, turnover
        self.environment();
    }

    /// Routes one idea of employee `i` (global index) of team `j`, as
    /// the generation phase does (used by one-off events such as idea
    /// sessions).
    fn submit(&mut self, i: usize, j: usize, dim: u32, plus: bool, good: bool, channel: Channel) {
        self.with_team(j, |ctx, team, people, out| {
            parallel::submit(
                ctx,
                j,
                team,
                people,
                i - people.first(),
                dim,
                plus,
                good,
                channel,
                out,
            )
        });
    }

    /// How `reviewer` (an employee) or a whole team judges the idea: good
    /// when the belief on its dimension equals its value (a coin where the
    /// belief is 0); a team uses its members' majority belief.
    fn judge(&self, idea: &Idea, team: Option<usize>, reviewer: usize, rng: &mut Stream) -> bool {
        let d = u32::from(idea.dim);
        let view = match team {
            Some(j) => {
                let (mut plus, mut minus) = (0u32, 0u32);
                for b in &self.beliefs[self.teams[j].members()] {
                    match b.get(d) {
                        1 => plus += 1,
                        -1 => minus += 1,
                        _ => {}
                    }
                }
                (plus as i32 - minus as i32).signum() as i8
            }
            None => self.beliefs[reviewer].get(d),
        };
        match view {
            0 => rng.random_bool(0.5),
            v => (v > 0) == idea.plus,
        }
    }

    /// Reviews up to the budget of one queue; expires ideas past patience.
    /// Returns nothing: accepted ideas join their team's waiting list.
    fn serve(&mut self, which: Queue, rng: &mut Stream) {
        let now = self.clock;
        let patience = self.rates.patience_steps;
        let capacity = match which {
            Queue::Team(_) => self.rates.capacity,
            Queue::Session(j) => self.teams[j].mods.extra_capacity,
            Queue::Central => self.live.central_capacity,
            Queue::Platform => self.live.platform_capacity,
        };
        let ReviewQueue {
            mut queue,
            mut budget,
        } = std::mem::take(self.queue_mut(which));
        // Expiry is futility: the proposer's motivation falls and the
        // habit of speaking up weakens.
        let futility = self.p.futility_loss as f32;
        let habit_loss = self.p.futility_habit as f32;
        let mut expired = 0;
        queue.retain(|idea| {
            let keep = now - u64::from(idea.voiced_at) < patience;
            if !keep {
                let i = idea.proposer as usize;
                if self.seat_generation[i] == idea.generation {
                    self.motivation[i] -= futility * self.motivation[i];
                    self.habit[i] -= habit_loss * self.habit[i];
                }
                expired += 1;
            }
            keep
        });
        self.counts.expired += expired;
        budget += capacity;
        let take = (budget.floor() as usize).min(queue.len());
        // Review time not used this step is lost; only a fraction of a
        // review (capacity below one idea a step) carries over.
        budget = (budget - take as f64).fract();
        for idea in queue.drain(..take) {
            let j = idea.team as usize;
            let (good, support) = match which {
                Queue::Team(_) | Queue::Session(_) => {
                    let t = &self.teams[j];
                    let by = if t.collective { Some(j) } else { None };
                    (self.judge(&idea, by, t.leader(), rng), t.close.support)
                }
                Queue::Central => (
                    self.judge(&idea, None, self.central_reviewer, rng),
                    self.live.central_support,
                ),
                Queue::Platform => (
                    self.judge(&idea, None, self.central_reviewer, rng),
                    self.live.platform_support,
                ),
            };
            self.counts.reviewed += 1;
            let i = idea.proposer as usize;
            // The proposer hears the outcome unless they have left.
            let present = self.seat_generation[i] == idea.generation;
            let psi = &mut self.psi[i];
            // An idea judged good is accepted with chance S; one judged bad
            // still gets a trial with chance S x F (benefit of the doubt from
            // a supportive, failure-tolerant reviewer; docs/model.md).
            let tolerance = match which {
                Queue::Team(_) | Queue::Session(_) => self.teams[j].close.failure_tolerance,
                Queue::Central | Queue::Platform => 0.0,
            };
            let chance = if good { support } else { support * tolerance };
            if rng.random_bool(chance) {
                self.counts.accepted += 1;
                self.teams[j].accepted += 1;
                if present {
                    *psi += (self.p.heard * (1.0 - f64::from(*psi))) as f32;
                }
                self.teams[j].waiting.push(idea);
            } else {
                self.counts.rejected += 1;
                if present {
                    *psi -= (self.p.dismissed * f64::from(*psi)) as f32;
                }
            }
        }
        *self.queue_mut(which) = ReviewQueue { queue, budget };
    }

    fn queue_mut(&mut self, which: Queue) -> &mut ReviewQueue {
        match which {
            Queue::Team(j) => &mut self.teams[j].inbox,
            Queue::Session(j) => &mut self.teams[j].session,
            Queue::Central => &mut self.central,
            Queue::Platform => &mut self.platform,
        }
    }

    /// Phase 3: Select.
    fn review(&mut self) {
        let n_teams = self.teams.len();
        let keys = self.step_key(REVIEW);
        for j in 0..n_teams {
            if !self.teams[j].inbox.queue.is_empty() {
                self.serve(Queue::Team(j), &mut keys.block(j as u64));
            }
            if !self.teams[j].session.queue.is_empty() {
                self.serve(
                    Queue::Session(j),
                    &mut keys.block((2 * n_teams + 2 + j) as u64),
                );
            }
        }
        self.serve(Queue::Central, &mut keys.block(n_teams as u64));
        self.serve(Queue::Platform, &mut keys.block(n_teams as u64 + 1));
    }

    /// Phase 4: Experiments end (success sets the team code) and start.
    fn experiment(&mut self) {
        let now = self.clock;
        let p = &self.p;
        let keys = self.step_key(EXPERIMENT);
        for j in 0..self.teams.len() {
            if self.teams[j].running.is_empty() && self.teams[j].waiting.is_empty() {
                continue;
            }
            let mut rng = keys.block(j as u64);
            let mut k = 0;
            while k < self.teams[j].running.len() {
                let run = self.teams[j].running[k];
                if run.ends_at > now {
                    k += 1;
                    continue;
                }
                self.teams[j].running.swap_remove(k);
                let idea = run.idea;
                let right = (self.reality >> idea.dim & 1 == 1) == idea.plus;
                let chance = if right { p.success_good } else { p.success_bad };
                let i = idea.proposer as usize;
                let present = self.seat_generation[i] == idea.generation;
                let f = self.teams[j].close.failure_tolerance;
                if rng.random_bool(chance) {
                    self.counts.succeeded += 1;
                    self.counts.implemented += 1;
                    self.counts.platform_implemented += u64::from(idea.platform);
                    let t = &mut self.teams[j];
                    t.implemented += 1;
                    t.code
                        .set(u32::from(idea.dim), if idea.plus { 1 } else { -1 });
                    if idea.plus {
                        self.practice_plus |= 1 << idea.dim;
                    } else {
                        self.practice_minus |= 1 << idea.dim;
                    }
                    if present {
                        let mu = &mut self.motivation[i];
                        *mu += (p.implemented_gain * (1.0 - f64::from(*mu))) as f32;
                    }
                } else {
                    self.counts.failed += 1;
                    if rng.random_bool(f) {
                        // Failure as learning: initiative rises.
                        if present {
                            let mu = &mut self.motivation[i];
                            *mu += (p.failure_initiative * (1.0 - f64::from(*mu))) as f32;
                        }
                    } else {
                        // Failure punished: the proposer gives up the view,
                        // loses motivation, and the team loses safety.
                        if present {
                            let code = self.teams[j].code;
                            self.beliefs[i].set(u32::from(idea.dim), code.get(u32::from(idea.dim)));
                            let mu = &mut self.motivation[i];
                            *mu -= (p.futility_loss * f64::from(*mu)) as f32;
                        }
                        for m in self.teams[j].members() {
                            let cost = if present && m == i {
                                p.failure_psi_cost
                            } else {
                                p.failure_team_psi_cost
                            };
                            self.psi[m] -= (cost * f64::from(self.psi[m])) as f32;
                        }
                    }
                }
            }
            // Accepted ideas that waited longer than the patience for an
            // experiment slot are dropped: too many ideas without support
            // crowd out implementation (Skerlavaj, Cerne & Dysvik 2014).
            // (The proposer was heard; it is the team that lacks slots, so
            // this costs implementation, not motivation.)
            let patience = self.rates.patience_steps;
            let before = self.teams[j].waiting.len();
            self.teams[j]
                .waiting
                .retain(|idea| now - u64::from(idea.voiced_at) < 2 * patience);
            self.counts.expired += (before - self.teams[j].waiting.len()) as u64;
            let t = &mut self.teams[j];
            let free = t.slots.saturating_sub(t.running.len()).min(t.waiting.len());
            let ends_at = now + self.rates.duration_steps;
            for idea in t.waiting.drain(..free) {
                t.running.push(Running { idea, ends_at });
            }
        }
    }

    /// Phase 5: Implemented practices diffuse between teams with the Bass hazard
    /// p + q x (share of the team's outside ties to teams whose code has the
    /// practice), per year, scaled by the team's psychological safety and its
    /// leader's openness (each relative to 0.5). Synchronous: every team sees
    /// the codes as they were at the start of the phase.
    ///
    /// Adoptions are rare, so they are drawn by thinning: candidate events
    /// for the practices a team lacks arrive at the largest possible hazard
    /// (share 1) and each is kept with chance (p + q share) / (p + q); only
    /// a candidate costs the scan of the team's ties.
    fn diffuse(&mut self) {
        if self.practice_plus | self.practice_minus == 0 {
            return;
        }
        for (slot, t) in self.codes_at_start.iter_mut().zip(&self.teams) {
            *slot = t.code;
        }
        let dt = self.rates.dt;
        let (bp, bq) = (self.p.diffusion_p, self.p.diffusion_q);
        if bp + bq <= 0.0 {
            return;
        }
        let keys = self.step_key(DIFFUSE);
        for j in 0..self.teams.len() {
            let code = self.codes_at_start[j];
            // Practices this team lacks (codes have no zeros once set, so a
            // dimension is wanted for at most one value).
            let want_plus = self.practice_plus & !(code.nz & code.pos);
            let want_minus = self.practice_minus & !(code.nz & !code.pos);
            let (n_plus, n_minus) = (want_plus.count_ones(), want_minus.count_ones());
            if n_plus + n_minus == 0 {
                continue;
            }
            let scale = (self.teams[j].psi_mean / 0.5) * (self.teams[j].open.openness / 0.5);
            let h_max = (bp + bq) * scale * dt;
            if h_max <= 0.0 {
                continue;
            }
            let mut rng = keys.block(j as u64);
            let (a, b) = (
                self.net_offsets[j] as usize,
                self.net_offsets[j + 1] as usize,
            );
            let mut total = -1.0;
            let mut x = 0.0;
            let mut new_code = code;
            loop {
                x += rng.sample::<f64, _>(rand_distr::Exp1) / h_max;
                if x >= f64::from(n_plus + n_minus) {
                    break;
                }
                let k = x as u32;
                let (plus, d) = if k < n_plus {
                    (true, knowledge::nth_set_bit(want_plus, k))
                } else {
                    (false, knowledge::nth_set_bit(want_minus, k - n_plus))
                };
                if new_code.get(d) == if plus { 1 } else { -1 } {
                    continue; // already adopted this step
                }
                if total < 0.0 {
                    total = self.net_weights[a..b].iter().map(|&w| f64::from(w)).sum();
                }
                let bit = 1u64 << d;
                let mut with = 0.0;
                for (&t, &w) in self.net_targets[a..b].iter().zip(&self.net_weights[a..b]) {
                    let c = self.codes_at_start[t as usize];
                    if c.nz & bit != 0 && (c.pos & bit != 0) == plus {
                        with += f64::from(w);
                    }
                }
                let share = if total > 0.0 { with / total } else { 0.0 };
                if rng.random::<f64>() * (bp + bq) < bp + bq * share {
                    new_code.set(d, if plus { 1 } else { -1 });
                    self.counts.adoptions += 1;
                }
            }
            self.teams[j].code = new_code;
        }
    }

    /// Phase 9: Reality flips on each dimension with the annual turbulence;
    /// partners re-learn a flipped dimension (right with chance knowledge).
    fn environment(&mut self) {
        if self.live.turbulence_rate <= 0.0 {
            return;
        }
        let mut rng = stream(self.seed, ENVIRONMENT, self.clock, 0);
        for d in 0..self.dims.m() {
            if self.live.turbulence.sample(&mut rng) {
                self.reality ^= 1 << d;
                for partner in self.partners.iter_mut() {
                    let right = rng.random_bool(partner.knowledge);
                    let plus = (self.reality >> d & 1 == 1) == right;
                    partner.beliefs.set(d, if plus { 1 } else { -1 });
                }
            }
        }
    }

    /// ICC(1) of psychological safety by team from a one-way ANOVA, with
    /// the adjusted mean team size k0 = (N - sum n_j^2 / N) / (J - 1)
    /// (Bliese 2000).
    fn psi_icc(&self, grand: f64) -> f64 {
        let n_teams = self.teams.len();
        let n = self.psi.len() as f64;
        if n_teams < 2 || n <= n_teams as f64 {
            return f64::NAN;
        }
        let (mut ssb, mut ssw, mut sum_n2) = (0.0, 0.0, 0.0);
        for t in &self.teams {
            let r = t.members();
            let nj = r.len() as f64;
            let mean = self.psi[r.clone()]
                .iter()
                .map(|&x| f64::from(x))
                .sum::<f64>()
                / nj;
            ssb += nj * (mean - grand).powi(2);
            ssw += self.psi[r]
                .iter()
                .map(|&x| (f64::from(x) - mean).powi(2))
                .sum::<f64>();
            sum_n2 += nj * nj;
        }
        let msb = ssb / (n_teams - 1) as f64;
        let msw = ssw / (n - n_teams as f64);
        let k0 = (n - sum_n2 / n) / (n_teams - 1) as f64;
        let denom = msb + (k0 - 1.0) * msw;
        if denom > 0.0 {
            (msb - msw) / denom
        } else {
            f64::NAN
        }
    }
}

/// Where a generated idea goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Channel {
    Voice,
    /// Voiced in a facilitated idea session.
    Session,
    Platform,
    Silence,
}

/// Which review queue is served.
#[derive(Clone, Copy, Debug)]
enum Queue {
    Team(usize),
    Session(usize),
    Central,
    Platform,
}

fn team_size(rng: &mut Stream, p: &ClimateParams) -> usize {
    match p.size_dist {
        SizeDist::Fixed => p.team_size,
        SizeDist::Uniform => rng.random_range(p.team_size_min..=p.team_size_max),
        SizeDist::Poisson => {
            for _ in 0..1000 {
                let k = poisson(rng, p.team_size as f64) as usize;
                if (p.team_size_min..=p.team_size_max).contains(&k) {
                    return k;
                }
            }
            p.team_size
        }
    }
}

impl Simulation for Climate {
    fn observe(&self, out: &mut [f64], levels: bool) {
        let c = &self.counts;
        out[m::GENERATED] = c.generated as f64;
        out[m::VOICED] = c.voiced as f64;
        out[m::SILENCED] = c.silenced as f64;
        out[m::PLATFORM] = c.platform as f64;
        out[m::REVIEWED] = c.reviewed as f64;
        out[m::ACCEPTED] = c.accepted as f64;
        out[m::REJECTED] = c.rejected as f64;
        out[m::EXPIRED] = c.expired as f64;
        out[m::SUCCEEDED] = c.succeeded as f64;
        out[m::FAILED] = c.failed as f64;
        out[m::IMPLEMENTED] = c.implemented as f64;
        out[m::PLATFORM_IMPLEMENTED] = c.platform_implemented as f64;
        out[m::ADOPTIONS] = c.adoptions as f64;
        out[m::LEAVERS] = c.leavers as f64;
        out[m::VOICED_GOOD] = c.voiced_good as f64;
        debug_assert_eq!(out.len(), m::COUNT);
        if !levels {
            return;
        }
        let n = self.psi.len() as f64;
        out[m::RUNNING] = self.teams.iter().map(|t| t.running.len()).sum::<usize>() as f64;
        let mscore: f64 = self
            .teams
            .iter()
            .map(|t| f64::from(t.code.score(self.reality)))
            .sum();
        out[m::ORG_KNOWLEDGE] = mscore / (self.teams.len() as f64 * f64::from(self.dims.m()));
        out[m::DIVERSITY] = knowledge::belief_diversity_parallel(&self.beliefs, self.dims);
        let mean = self.psi.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        out[m::PSI_MEAN] = mean;
        out[m::PSI_SD] = if n > 1.0 {
            (self
                .psi
                .iter()
                .map(|&x| (f64::from(x) - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0))
                .sqrt()
        } else {
            f64::NAN
        };
        out[m::PSI_ICC] = self.psi_icc(mean);
        out[m::MOTIVATION] = self.motivation.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let window = self.rates.steps_per_52w;
        let recent = |last: &[u32]| {
            last.iter()
                .filter(|&&s| s > 0 && self.clock - u64::from(s) < window)
                .count() as f64
                / n
        };
        out[m::PARTICIPATION] = recent(&self.last_voiced);
        out[m::WITHHOLDING] = recent(&self.last_silenced);
        out[m::HEADCOUNT] = n;
    }

    fn step(&mut self, _step: u64) {
        self.advance();
    }

    fn observe_teams(&mut self, out: &mut Vec<f64>) {
        let m = f64::from(self.dims.m());
        for (j, t) in self.teams.iter_mut().enumerate() {
            let r = t.members();
            let nj = r.len() as f64;
            out.push(j as f64);
            out.push(f64::from(t.department));
            out.push(nj);
            out.push(
                self.psi[r.clone()]
                    .iter()
                    .map(|&x| f64::from(x))
                    .sum::<f64>()
                    / nj,
            );
            out.push(
                self.motivation[r]
                    .iter()
                    .map(|&x| f64::from(x))
                    .sum::<f64>()
                    / nj,
            );
            out.push(t.voiced as f64);
            out.push(t.accepted as f64);
            out.push(t.implemented as f64);
            out.push(f64::from(t.code.score(self.reality)) / m);
            t.voiced = 0;
            t.accepted = 0;
            t.implemented = 0;
        }
    }
}
