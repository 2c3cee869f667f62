//! The `[climate]` tables of a scenario: every parameter of the climate
//! model with its default (docs/model.md §3.8: starting values and changes),
//! range and documentation; and the validated parameter struct.

use crate::model::climate::leadership::Style;
use crate::model::knowledge::MAX_DIMENSIONS;
use crate::model::{Check, Issue};
use crate::param::ParamSet;
use crate::param::{Bound, Field};

const UNIT: (Bound, Bound) = (Bound::Incl(0.0), Bound::Incl(1.0));
const NONNEG: (Bound, Bound) = (Bound::Incl(0.0), Bound::Open);

const fn unit(path: &'static str, default: f64, doc: &'static str) -> Field {
    Field::float(path, UNIT.0, UNIT.1, default, doc)
}

const fn nonneg(path: &'static str, default: f64, doc: &'static str) -> Field {
    Field::float(path, NONNEG.0, NONNEG.1, default, doc)
}

/// Most partner ties (partners x employees tied to each) a scenario may
/// create, so that memory stays bounded (8 bytes a tie).
pub const MAX_PARTNER_TIES: u64 = 50_000_000;

/// Names of the leadership presets, for `climate.leadership.style`.
pub const STYLE_NAMES: &[&str] = &[
    "directive",
    "transactional",
    "facilitating",
    "laissez_faire",
    "ambidextrous",
];

/// The `[climate]` tables.
pub const FIELDS: &[Field] = &[
    // Time, knowledge and generation.
    Field::float(
        "climate.weeks_per_step",
        Bound::Excl(0.0),
        Bound::Incl(52.0),
        1.0,
        "Weeks per step; rates per year become per step with dt = weeks_per_step / 52",
    ),
    Field::int(
        "climate.burn_in",
        0,
        100_000,
        0,
        "Steps simulated before step 0 so comparisons start from a settled organisation",
    ),
    Field::int(
        "climate.dimensions",
        1,
        MAX_DIMENSIONS as i64,
        30,
        "Dimensions of reality m (March 1991)",
    ),
    unit(
        "climate.code_accuracy",
        0.6,
        "Chance that a team's initial code matches reality on a dimension (else the opposite)",
    ),
    unit(
        "climate.belief_redraw",
        0.5,
        "Initial beliefs copy the team code, each dimension re-drawn uniformly with this chance",
    ),
    Field::float(
        "climate.lambda0",
        Bound::Incl(0.0),
        Bound::Incl(10_000.0),
        40.0,
        "Ideas generated per employee per year at reference creativity, motivation, autonomy and delegation",
    ),
    unit(
        "climate.epsilon",
        0.1,
        "Exploration: chance that an idea is a random change of the code rather than the employee's own view",
    ),
    Field::float(
        "climate.motivation_ref",
        Bound::Excl(0.0),
        Bound::Incl(1.0),
        0.5,
        "Motivation at which g(motivation) = 1",
    ),
    unit(
        "climate.autonomy_ref",
        0.5,
        "Autonomy at which h(autonomy, delegation) = 1 (with delegation_ref)",
    ),
    unit(
        "climate.delegation_ref",
        0.5,
        "Leader delegation at which h = 1 (with autonomy_ref)",
    ),
    unit(
        "climate.time_pressure_effect",
        0.45,
        "Share of idea generation lost at full time pressure (Amabile, Hadley & Kramer 2002)",
    ),
    // Organisation.
    Field::int(
        "climate.organisation.departments",
        1,
        100_000,
        4,
        "Departments",
    ),
    Field::int(
        "climate.organisation.teams_per_department",
        1,
        1_000_000,
        5,
        "Teams per department",
    ),
    Field::int(
        "climate.organisation.team_size",
        2,
        10_000,
        10,
        "Employees per team, leader included (the mean when drawn)",
    ),
    Field::choice(
        "climate.organisation.team_size_distribution",
        &["fixed", "uniform", "poisson"],
        "fixed",
        "Team sizes: fixed, uniform on [min, max], or Poisson(team_size) redrawn into [min, max]",
    ),
    Field::int(
        "climate.organisation.team_size_min",
        2,
        10_000,
        5,
        "Smallest team when sizes are drawn",
    ),
    Field::int(
        "climate.organisation.team_size_max",
        2,
        10_000,
        15,
        "Largest team when sizes are drawn",
    ),
    Field::int(
        "climate.organisation.weak_ties",
        0,
        100,
        4,
        "Ties per employee outside the own team (mean degree)",
    ),
    unit(
        "climate.organisation.cross_department",
        0.3,
        "Share of weak ties that go to other departments (the rest to other teams of the own department)",
    ),
    // Employees.
    Field::choice(
        "climate.employees.distribution",
        &["beta", "truncated_normal"],
        "beta",
        "Distribution of psychological safety, autonomy, motivation and time pressure (by mean and sd)",
    ),
    unit(
        "climate.employees.psych_safety_mean",
        0.4,
        "Mean initial psychological safety",
    ),
    Field::float(
        "climate.employees.psych_safety_sd",
        Bound::Excl(0.0),
        Bound::Excl(0.5),
        0.15,
        "Sd of initial psychological safety",
    ),
    unit(
        "climate.employees.psych_safety_icc",
        0.3,
        "Share of the initial variance of psychological safety between teams (Anderson & West 1998: about 0.3)",
    ),
    unit("climate.employees.autonomy_mean", 0.4, "Mean autonomy"),
    Field::float(
        "climate.employees.autonomy_sd",
        Bound::Excl(0.0),
        Bound::Excl(0.5),
        0.15,
        "Sd of autonomy",
    ),
    unit(
        "climate.employees.motivation_mean",
        0.5,
        "Mean baseline motivation",
    ),
    Field::float(
        "climate.employees.motivation_sd",
        Bound::Excl(0.0),
        Bound::Excl(0.5),
        0.15,
        "Sd of baseline motivation",
    ),
    unit(
        "climate.employees.time_pressure_mean",
        0.5,
        "Mean time pressure",
    ),
    Field::float(
        "climate.employees.time_pressure_sd",
        Bound::Excl(0.0),
        Bound::Excl(0.5),
        0.15,
        "Sd of time pressure",
    ),
    Field::float(
        "climate.employees.creativity_sigma",
        Bound::Incl(0.0),
        Bound::Incl(3.0),
        1.2,
        "Sigma of log creativity (lognormal with mean 1)",
    ),
    // Leadership.
    Field::choice(
        "climate.leadership.style",
        STYLE_NAMES,
        "directive",
        "The organisation's leadership style (preset)",
    ),
    unit(
        "climate.leadership.spread",
        0.1,
        "Sd of each leader's style values around the preset (truncated to [0, 1])",
    ),
    Field::float(
        "climate.leadership.openness_shift",
        Bound::Incl(-1.0),
        Bound::Incl(1.0),
        0.0,
        "Added to every leader's openness O",
    ),
    Field::float(
        "climate.leadership.support_shift",
        Bound::Incl(-1.0),
        Bound::Incl(1.0),
        0.0,
        "Added to every leader's support S",
    ),
    Field::float(
        "climate.leadership.control_shift",
        Bound::Incl(-1.0),
        Bound::Incl(1.0),
        0.0,
        "Added to every leader's control K",
    ),
    Field::float(
        "climate.leadership.failure_tolerance_shift",
        Bound::Incl(-1.0),
        Bound::Incl(1.0),
        0.0,
        "Added to every leader's failure tolerance F",
    ),
    Field::float(
        "climate.leadership.delegation_shift",
        Bound::Incl(-1.0),
        Bound::Incl(1.0),
        0.0,
        "Added to every leader's delegation D",
    ),
    nonneg(
        "climate.leadership.mix.directive",
        0.0,
        "Share of teams with directive leaders (all mix shares 0: use style)",
    ),
    nonneg(
        "climate.leadership.mix.transactional",
        0.0,
        "Share of teams with transactional leaders",
    ),
    nonneg(
        "climate.leadership.mix.facilitating",
        0.0,
        "Share of teams with facilitating leaders",
    ),
    nonneg(
        "climate.leadership.mix.laissez_faire",
        0.0,
        "Share of teams with laissez-faire leaders",
    ),
    nonneg(
        "climate.leadership.mix.ambidextrous",
        0.0,
        "Share of teams with ambidextrous leaders",
    ),
    // Voice.
    Field::float(
        "climate.voice.beta0",
        Bound::Open,
        Bound::Open,
        -6.8,
        "Voice logit intercept (Detert & Burris 2007)",
    ),
    Field::float(
        "climate.voice.beta_psi",
        Bound::Open,
        Bound::Open,
        4.0,
        "Voice logit weight of psychological safety",
    ),
    Field::float(
        "climate.voice.beta_open",
        Bound::Open,
        Bound::Open,
        1.0,
        "Voice logit weight of leader openness",
    ),
    Field::float(
        "climate.voice.beta_perf",
        Bound::Open,
        Bound::Open,
        0.3,
        "Voice logit weight of standardised performance",
    ),
    Field::float(
        "climate.voice.beta_x",
        Bound::Open,
        Bound::Open,
        0.5,
        "Voice logit weight of openness x performance",
    ),
    Field::float(
        "climate.voice.beta_align",
        Bound::Open,
        Bound::Open,
        1.5,
        "Voice logit weight of agreeing with the leader's view, times 1 - psi (safe voice)",
    ),
    Field::float(
        "climate.voice.beta_habit",
        Bound::Open,
        Bound::Open,
        6.0,
        "Voice logit weight of the voice habit",
    ),
    unit(
        "climate.voice.habit_gain",
        0.3,
        "Voice habit gained per voiced idea (times 1 - habit)",
    ),
    nonneg(
        "climate.voice.habit_decay",
        2.0,
        "Voice habit decay rate per year (exponential)",
    ),
    // Channels and rewards.
    Field::boolean(
        "climate.platform.enabled",
        false,
        "An idea platform: a second, anonymous channel",
    ),
    Field::float(
        "climate.platform.beta0",
        Bound::Open,
        Bound::Open,
        -6.0,
        "Platform submission logit intercept",
    ),
    Field::float(
        "climate.platform.beta_psi",
        Bound::Open,
        Bound::Open,
        1.0,
        "Platform logit weight of psychological safety",
    ),
    nonneg(
        "climate.platform.capacity",
        5.0,
        "Platform ideas reviewed per week (whole organisation)",
    ),
    unit(
        "climate.platform.support",
        0.5,
        "Chance that a platform idea judged good is accepted",
    ),
    Field::float(
        "climate.rewards.level",
        Bound::Incl(0.0),
        Bound::Incl(100.0),
        0.0,
        "Rewards for ideas: 0 none, 1 a typical scheme",
    ),
    Field::float(
        "climate.rewards.voice",
        Bound::Open,
        Bound::Open,
        0.5,
        "Voice logit boost per unit of rewards for employees without a voice habit",
    ),
    Field::float(
        "climate.rewards.quality",
        Bound::Open,
        Bound::Open,
        0.5,
        "Voice logit boost per unit of rewards per sd of performance",
    ),
    // Review.
    Field::choice(
        "climate.review.mode",
        &["delegated", "leader", "team", "central"],
        "delegated",
        "Who reviews: delegated (the team when the leader delegates, else the leader), leader, team or central",
    ),
    unit(
        "climate.review.delegation_threshold",
        0.5,
        "Delegation D at which a team reviews collectively in delegated mode",
    ),
    nonneg(
        "climate.review.capacity",
        2.0,
        "Ideas a reviewer (leader or team) reviews per week",
    ),
    Field::float(
        "climate.review.patience",
        Bound::Excl(0.0),
        Bound::Open,
        8.0,
        "Weeks an idea waits for review before it expires",
    ),
    nonneg(
        "climate.review.central_capacity",
        10.0,
        "Ideas the central reviewer reviews per week (central mode)",
    ),
    unit(
        "climate.review.central_support",
        0.5,
        "Chance that the central reviewer accepts an idea judged good",
    ),
    // Experiments.
    Field::float(
        "climate.experiment.duration",
        Bound::Excl(0.0),
        Bound::Open,
        6.0,
        "Weeks an experiment runs",
    ),
    unit(
        "climate.experiment.success_good",
        0.8,
        "Chance an experiment succeeds when its idea is right (v = r_d)",
    ),
    unit(
        "climate.experiment.success_bad",
        0.2,
        "Chance an experiment succeeds when its idea is wrong",
    ),
    nonneg(
        "climate.experiment.concurrency",
        3.0,
        "A team runs at most round(concurrency x S) experiments at once (at least 1)",
    ),
    unit(
        "climate.experiment.failure_psi_cost",
        0.05,
        "Psychological safety the proposer loses after a failure under zero failure tolerance",
    ),
    unit(
        "climate.experiment.failure_team_psi_cost",
        0.01,
        "Psychological safety each team member loses after a failure under zero tolerance",
    ),
    unit(
        "climate.experiment.failure_initiative",
        0.02,
        "Motivation the proposer gains from a failure treated as learning",
    ),
    // Diffusion, learning, partners.
    Field::float(
        "climate.diffusion.p",
        Bound::Incl(0.0),
        Bound::Incl(100.0),
        0.03,
        "Bass innovation coefficient for adopting a practice, per year",
    ),
    Field::float(
        "climate.diffusion.q",
        Bound::Incl(0.0),
        Bound::Incl(100.0),
        0.38,
        "Bass imitation coefficient for adopting a practice, per year",
    ),
    unit(
        "climate.learning.p1",
        0.5,
        "Socialisation rate per year toward the team code (March's p1)",
    ),
    Field::int("climate.partners.count", 0, 100_000, 0, "External partners"),
    Field::int(
        "climate.partners.ties",
        1,
        100_000,
        5,
        "Employees tied to each partner",
    ),
    unit(
        "climate.partners.knowledge",
        0.8,
        "Share of dimensions on which a partner's belief is correct",
    ),
    Field::float(
        "climate.partners.rate",
        Bound::Incl(0.0),
        Bound::Incl(1000.0),
        4.0,
        "Per partner tie, beliefs copied from the partner per year",
    ),
    unit(
        "climate.partners.attention",
        0.05,
        "Share of work time each partner tie costs",
    ),
    // Climate dynamics.
    unit(
        "climate.dynamics.kappa",
        0.02,
        "Weekly rate at which psychological safety moves toward its target",
    ),
    unit(
        "climate.dynamics.heard",
        0.01,
        "Psychological safety gained when a voiced idea is accepted (times 1 - psi)",
    ),
    unit(
        "climate.dynamics.dismissed",
        0.02,
        "Psychological safety lost when a voiced idea is rejected (times psi)",
    ),
    unit(
        "climate.dynamics.motivation_kappa",
        0.02,
        "Weekly rate at which motivation returns to its baseline",
    ),
    unit(
        "climate.dynamics.implemented_gain",
        0.1,
        "Motivation gained when one's idea is implemented (times 1 - motivation)",
    ),
    unit(
        "climate.dynamics.futility_loss",
        0.05,
        "Motivation lost when one's idea expires unreviewed (times motivation)",
    ),
    unit(
        "climate.dynamics.futility_habit",
        0.3,
        "Share of the voice habit lost when one's idea expires unreviewed",
    ),
    // Turnover and environment.
    unit(
        "climate.turnover.rate",
        0.12,
        "Annual chance of quitting at reference motivation",
    ),
    Field::float(
        "climate.turnover.motivation_effect",
        Bound::Incl(0.0),
        Bound::Incl(10.0),
        2.0,
        "Quit rate multiplier exp(effect x (motivation_ref - motivation))",
    ),
    unit(
        "climate.environment.turbulence",
        0.02,
        "Annual chance that a dimension of reality flips (market turbulence)",
    ),
];

/// How team sizes are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeDist {
    /// Every team has `team_size`.
    Fixed,
    /// Uniform on [min, max].
    Uniform,
    /// Poisson(team_size), redrawn until in [min, max].
    Poisson,
}

/// Who reviews ideas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewMode {
    /// The team when its leader's delegation reaches the threshold, else the leader.
    Delegated,
    /// Always the leader.
    Leader,
    /// Always the team, by majority belief.
    Team,
    /// One central reviewer for the organisation.
    Central,
}

/// Validated parameters of a climate run (per-year rates as given).
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub struct ClimateParams {
    pub weeks_per_step: f64,
    pub burn_in: u64,
    pub dimensions: u32,
    pub code_accuracy: f64,
    pub belief_redraw: f64,
    pub lambda0: f64,
    pub epsilon: f64,
    pub motivation_ref: f64,
    pub autonomy_ref: f64,
    pub delegation_ref: f64,
    pub time_pressure_effect: f64,
    pub departments: usize,
    pub teams_per_department: usize,
    pub team_size: usize,
    pub size_dist: SizeDist,
    pub team_size_min: usize,
    pub team_size_max: usize,
    pub weak_ties: usize,
    pub cross_department: f64,
    pub beta_dist: bool,
    pub psi_mean: f64,
    pub psi_sd: f64,
    pub psi_icc: f64,
    pub autonomy_mean: f64,
    pub autonomy_sd: f64,
    pub motivation_mean: f64,
    pub motivation_sd: f64,
    pub pressure_mean: f64,
    pub pressure_sd: f64,
    pub creativity_sigma: f64,
    pub style: usize,
    pub spread: f64,
    pub mix: [f64; 5],
    pub shift: Style,
    pub beta0: f64,
    pub beta_psi: f64,
    pub beta_open: f64,
    pub beta_perf: f64,
    pub beta_x: f64,
    pub beta_align: f64,
    pub beta_habit: f64,
    pub habit_gain: f64,
    pub habit_decay: f64,
    pub platform: bool,
    pub platform_beta0: f64,
    pub platform_beta_psi: f64,
    pub platform_capacity: f64,
    pub platform_support: f64,
    pub rewards: f64,
    pub rewards_voice: f64,
    pub rewards_quality: f64,
    pub review_mode: ReviewMode,
    pub delegation_threshold: f64,
    pub capacity: f64,
    pub patience: f64,
    pub central_capacity: f64,
    pub central_support: f64,
    pub duration: f64,
    pub success_good: f64,
    pub success_bad: f64,
    pub concurrency: f64,
    pub failure_psi_cost: f64,
    pub failure_team_psi_cost: f64,
    pub failure_initiative: f64,
    pub diffusion_p: f64,
    pub diffusion_q: f64,
    pub p1: f64,
    pub partners: usize,
    pub partner_ties: usize,
    pub partner_knowledge: f64,
    pub partner_rate: f64,
    pub attention: f64,
    pub kappa: f64,
    pub heard: f64,
    pub dismissed: f64,
    pub motivation_kappa: f64,
    pub implemented_gain: f64,
    pub futility_loss: f64,
    pub futility_habit: f64,
    pub turnover: f64,
    pub turnover_motivation: f64,
    pub turbulence: f64,
    pub interventions: Vec<crate::model::climate::interventions::Intervention>,
}

impl ClimateParams {
    /// Reads validated parameters.
    pub fn from_params(ps: &ParamSet) -> ClimateParams {
        let f = |k: &str| ps.f64(&format!("climate.{k}"));
        let u = |k: &str| ps.u64(&format!("climate.{k}")) as usize;
        let s = |k: &str| ps.str(&format!("climate.{k}")).to_string();
        ClimateParams {
            weeks_per_step: f("weeks_per_step"),
            burn_in: u("burn_in") as u64,
            dimensions: u("dimensions") as u32,
            code_accuracy: f("code_accuracy"),
            belief_redraw: f("belief_redraw"),
            lambda0: f("lambda0"),
            epsilon: f("epsilon"),
            motivation_ref: f("motivation_ref"),
            autonomy_ref: f("autonomy_ref"),
            delegation_ref: f("delegation_ref"),
            time_pressure_effect: f("time_pressure_effect"),
            departments: u("organisation.departments"),
            teams_per_department: u("organisation.teams_per_department"),
            team_size: u("organisation.team_size"),
            size_dist: match s("organisation.team_size_distribution").as_str() {
                "uniform" => SizeDist::Uniform,
                "poisson" => SizeDist::Poisson,
                _ => SizeDist::Fixed,
            },
            team_size_min: u("organisation.team_size_min"),
            team_size_max: u("organisation.team_size_max"),
            weak_ties: u("organisation.weak_ties"),
            cross_department: f("organisation.cross_department"),
            beta_dist: s("employees.distribution") == "beta",
            psi_mean: f("employees.psych_safety_mean"),
            psi_sd: f("employees.psych_safety_sd"),
            psi_icc: f("employees.psych_safety_icc"),
            autonomy_mean: f("employees.autonomy_mean"),
            autonomy_sd: f("employees.autonomy_sd"),
            motivation_mean: f("employees.motivation_mean"),
            motivation_sd: f("employees.motivation_sd"),
            pressure_mean: f("employees.time_pressure_mean"),
            pressure_sd: f("employees.time_pressure_sd"),
            creativity_sigma: f("employees.creativity_sigma"),
            style: STYLE_NAMES
                .iter()
                .position(|n| *n == s("leadership.style"))
                .unwrap_or(0),
            spread: f("leadership.spread"),
            mix: [
                f("leadership.mix.directive"),
                f("leadership.mix.transactional"),
                f("leadership.mix.facilitating"),
                f("leadership.mix.laissez_faire"),
                f("leadership.mix.ambidextrous"),
            ],
            shift: Style {
                openness: f("leadership.openness_shift"),
                support: f("leadership.support_shift"),
                control: f("leadership.control_shift"),
                failure_tolerance: f("leadership.failure_tolerance_shift"),
                delegation: f("leadership.delegation_shift"),
            },
            beta0: f("voice.beta0"),
            beta_psi: f("voice.beta_psi"),
            beta_open: f("voice.beta_open"),
            beta_perf: f("voice.beta_perf"),
            beta_x: f("voice.beta_x"),
            beta_align: f("voice.beta_align"),
            beta_habit: f("voice.beta_habit"),
            habit_gain: f("voice.habit_gain"),
            habit_decay: f("voice.habit_decay"),
            platform: ps.bool("climate.platform.enabled"),
            platform_beta0: f("platform.beta0"),
            platform_beta_psi: f("platform.beta_psi"),
            platform_capacity: f("platform.capacity"),
            platform_support: f("platform.support"),
            rewards: f("rewards.level"),
            rewards_voice: f("rewards.voice"),
            rewards_quality: f("rewards.quality"),
            review_mode: match s("review.mode").as_str() {
                "leader" => ReviewMode::Leader,
                "team" => ReviewMode::Team,
                "central" => ReviewMode::Central,
                _ => ReviewMode::Delegated,
            },
            delegation_threshold: f("review.delegation_threshold"),
            capacity: f("review.capacity"),
            patience: f("review.patience"),
            central_capacity: f("review.central_capacity"),
            central_support: f("review.central_support"),
            duration: f("experiment.duration"),
            success_good: f("experiment.success_good"),
            success_bad: f("experiment.success_bad"),
            concurrency: f("experiment.concurrency"),
            failure_psi_cost: f("experiment.failure_psi_cost"),
            failure_team_psi_cost: f("experiment.failure_team_psi_cost"),
            failure_initiative: f("experiment.failure_initiative"),
            diffusion_p: f("diffusion.p"),
            diffusion_q: f("diffusion.q"),
            p1: f("learning.p1"),
            partners: u("partners.count"),
            partner_ties: u("partners.ties"),
            partner_knowledge: f("partners.knowledge"),
            partner_rate: f("partners.rate"),
            attention: f("partners.attention"),
            kappa: f("dynamics.kappa"),
            heard: f("dynamics.heard"),
            dismissed: f("dynamics.dismissed"),
            motivation_kappa: f("dynamics.motivation_kappa"),
            implemented_gain: f("dynamics.implemented_gain"),
            futility_loss: f("dynamics.futility_loss"),
            futility_habit: f("dynamics.futility_habit"),
            turnover: f("turnover.rate"),
            turnover_motivation: f("turnover.motivation_effect"),
            turbulence: f("environment.turbulence"),
            interventions: crate::model::climate::interventions::read_all(ps),
        }
    }

    /// Number of teams.
    pub fn teams(&self) -> usize {
        self.departments * self.teams_per_department
    }
}

/// The climate model's cross-field checks, each reading only the fields it
/// names (and the interventions' own checks, one per intervention).
pub fn checks(base: &ParamSet) -> Vec<Check> {
    let mut checks = vec![
        Check::new(
            &[
                "climate.organisation.team_size_distribution",
                "climate.organisation.team_size_min",
                "climate.organisation.team_size_max",
                "climate.organisation.team_size",
            ],
            check_team_sizes,
        ),
        Check::new(
            &[
                "climate.organisation.departments",
                "climate.organisation.teams_per_department",
                "climate.organisation.team_size_distribution",
                "climate.organisation.team_size_max",
                "climate.organisation.team_size",
            ],
            check_headcount,
        ),
    ];
    for name in BETA_FIELDS {
        checks.push(Check {
            reads: vec![
                "climate.employees.distribution",
                leak(format!("climate.employees.{name}_mean")),
                leak(format!("climate.employees.{name}_sd")),
            ],
            run: Box::new(move |ps: &ParamSet| check_beta(ps, name)),
        });
    }
    checks.push(Check::new(
        &["climate.partners.count", "climate.partners.ties"],
        check_partners,
    ));
    checks.push(Check::new(
        &[
            "climate.experiment.success_bad",
            "climate.experiment.success_good",
        ],
        check_success,
    ));
    checks.extend(crate::model::climate::interventions::checks(base));
    checks
}

/// Traits drawn from beta distributions (mean and sd each).
const BETA_FIELDS: [&str; 4] = ["psych_safety", "autonomy", "motivation", "time_pressure"];

fn size_dist(ps: &ParamSet) -> SizeDist {
    match ps.str("climate.organisation.team_size_distribution") {
        "uniform" => SizeDist::Uniform,
        "poisson" => SizeDist::Poisson,
        _ => SizeDist::Fixed,
    }
}

/// Team size bounds (only when sizes are drawn: a fixed size ignores them).
fn check_team_sizes(ps: &ParamSet) -> Vec<Issue> {
    let u = |k: &str| ps.u64(&format!("climate.organisation.{k}"));
    let (size, min, max) = (u("team_size"), u("team_size_min"), u("team_size_max"));
    if size_dist(ps) != SizeDist::Fixed && (min > max || size < min || size > max) {
        return vec![Issue {
            fields: vec![
                "climate.organisation.team_size_min",
                "climate.organisation.team_size_max",
                "climate.organisation.team_size",
            ],
            message: format!(
                "expected team_size_min <= team_size <= team_size_max, found {min} <= {size} <= {max}"
            ),
        }];
    }
    Vec::new()
}

/// The largest organisation: teams times the largest team size (the fixed
/// size when sizes are fixed; `team_size_max` is not used then).
fn check_headcount(ps: &ParamSet) -> Vec<Issue> {
    let u = |k: &str| ps.u64(&format!("climate.organisation.{k}")) as u128;
    let teams = u("departments") * u("teams_per_department");
    let largest = match size_dist(ps) {
        SizeDist::Fixed => u("team_size"),
        _ => u("team_size").max(u("team_size_max")),
    };
    let max_employees = teams * largest;
    if max_employees > 10_000_000 {
        return vec![Issue {
            fields: vec![
                "climate.organisation.teams_per_department",
                "climate.organisation.departments",
            ],
            message: format!(
                "expected an organisation of at most 10,000,000 employees, found up to {max_employees}"
            ),
        }];
    }
    Vec::new()
}

/// A beta distribution's sd must be below sqrt(mean (1 - mean)).
fn check_beta(ps: &ParamSet, name: &str) -> Vec<Issue> {
    if ps.str("climate.employees.distribution") != "beta" {
        return Vec::new();
    }
    let m = ps.f64(&format!("climate.employees.{name}_mean"));
    let sd = ps.f64(&format!("climate.employees.{name}_sd"));
    if sd * sd >= m * (1.0 - m) {
        return vec![Issue {
            fields: vec![
                leak(format!("climate.employees.{name}_sd")),
                leak(format!("climate.employees.{name}_mean")),
            ],
            message: format!(
                "expected sd < sqrt(mean (1 - mean)) = {:.3} for a beta distribution with mean {m}, found sd = {sd}",
                (m * (1.0 - m)).sqrt()
            ),
        }];
    }
    Vec::new()
}

fn check_partners(ps: &ParamSet) -> Vec<Issue> {
    let count = ps.u64("climate.partners.count");
    let ties = ps.u64("climate.partners.ties");
    if count as u128 * ties as u128 > MAX_PARTNER_TIES as u128 {
        return vec![Issue {
            fields: vec!["climate.partners.count", "climate.partners.ties"],
            message: format!(
                "expected at most {MAX_PARTNER_TIES} partner ties (count x ties), found {count} x {ties}"
            ),
        }];
    }
    Vec::new()
}

fn check_success(ps: &ParamSet) -> Vec<Issue> {
    let bad = ps.f64("climate.experiment.success_bad");
    let good = ps.f64("climate.experiment.success_good");
    if bad > good {
        return vec![Issue {
            fields: vec![
                "climate.experiment.success_bad",
                "climate.experiment.success_good",
            ],
            message: format!(
                "expected success_bad <= success_good (wrong ideas fail more often), found {bad} > {good}"
            ),
        }];
    }
    Vec::new()
}

/// Field paths are 'static in the schema; find the static one for a name
/// built at run time.
fn leak(path: String) -> &'static str {
    FIELDS
        .iter()
        .map(|f| f.path)
        .find(|p| *p == path)
        .unwrap_or("climate")
}
