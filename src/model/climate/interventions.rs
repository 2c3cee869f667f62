//! Interventions (docs/model.md §3.5): timed changes to an organisation, given
//! as `[[interventions]]` tables in a climate scenario. Each has a `kind`,
//! `at` (it takes effect right after step `at`, so step `at` is the last
//! step before it), optional `until` (the step after which it ends; -1:
//! never), `ramp` (steps to full effect), a `target` (departments, teams
//! and/or a random share of those teams; all teams by default) and its own
//! parameters. Each kind's source and expected effect: docs/scenario.md.
//!
//! Every key of an intervention is a parameter like any other: it can be
//! swept by the path `interventions.<index or name>.<key>` (e.g.
//! `"interventions.0.at"` or `"interventions.training.at"`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::model::climate::leadership::Style;
use crate::model::climate::params::STYLE_NAMES;
use crate::model::{Check, Issue};
use crate::param::ParamSet;
use crate::param::Value;
use crate::param::{Bound, Default, Field, Kind};

const fn unit(path: &'static str, default: f64, doc: &'static str) -> Field {
    Field::float(path, Bound::Incl(0.0), Bound::Incl(1.0), default, doc)
}

const fn nonneg(path: &'static str, default: f64, doc: &'static str) -> Field {
    Field::float(path, Bound::Incl(0.0), Bound::Open, default, doc)
}

const fn shift(path: &'static str, default: f64, doc: &'static str) -> Field {
    Field::float(path, Bound::Incl(-1.0), Bound::Incl(1.0), default, doc)
}

/// The names of the kinds, for `kind = "..."`.
pub const KIND_NAMES: &[&str] = &[
    "leadership",
    "psych_safety_training",
    "innovation_time",
    "idea_platform",
    "rewards",
    "idea_session",
    "cross_functional_teams",
    "external_partners",
    "self_steering_teams",
    "central_innovation_manager",
    "reorganisation",
    "layoff",
    "turnover",
    "time_pressure",
    "turbulence",
];

/// Keys every intervention has (paths relative to the intervention).
pub static COMMON: &[Field] = &[
    Field::choice(
        "kind",
        KIND_NAMES,
        "leadership",
        "What the intervention does",
    )
    .fixed(),
    Field {
        path: "name",
        kind: Kind::Text,
        default: Default::Str(""),
        doc: "A name, to sweep its keys as interventions.<name>.<key>",
        sweepable: false,
    },
    Field::int(
        "at",
        0,
        100_000_000,
        0,
        "It takes effect right after this step (counted from the end of burn-in)",
    ),
    Field::int(
        "until",
        -1,
        100_000_000,
        -1,
        "It ends right after this step (-1: never)",
    ),
    Field::int("ramp", 0, 100_000_000, 0, "Steps to full effect (linear)"),
    Field {
        path: "target.departments",
        kind: Kind::IntList {
            min: 0,
            max: 1_000_000,
        },
        default: Default::EmptyList,
        doc: "Departments targeted, by index from 0 (empty: no restriction)",
        sweepable: false,
    },
    Field {
        path: "target.teams",
        kind: Kind::IntList {
            min: 0,
            max: 100_000_000,
        },
        default: Default::EmptyList,
        doc: "Teams targeted, by index from 0 (empty: no restriction)",
        sweepable: false,
    },
    unit(
        "target.share",
        1.0,
        "Share of the targeted teams drawn at random (from the scenario seed)",
    ),
];

/// The parameters of one kind.
#[derive(Debug)]
pub struct KindSpec {
    /// Name in scenario files.
    pub name: &'static str,
    /// Its own keys.
    pub fields: &'static [Field],
}

/// Every kind with its keys.
pub static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "leadership",
        fields: &[
            Field::choice(
                "style",
                &[
                    "keep",
                    "directive",
                    "transactional",
                    "facilitating",
                    "laissez_faire",
                    "ambidextrous",
                ],
                "keep",
                "Preset the targeted leaders move to (keep: only the shifts)",
            ),
            shift("openness", 0.0, "Added to openness O"),
            shift("support", 0.0, "Added to support S"),
            shift("control", 0.0, "Added to control K"),
            shift("failure_tolerance", 0.0, "Added to failure tolerance F"),
            shift("delegation", 0.0, "Added to delegation D"),
        ],
    },
    KindSpec {
        name: "psych_safety_training",
        fields: &[unit(
            "boost",
            0.15,
            "Added to the psychological safety every targeted employee moves toward",
        )],
    },
    KindSpec {
        name: "innovation_time",
        fields: &[
            Field::float(
                "share",
                Bound::Incl(0.0),
                Bound::Excl(1.0),
                0.2,
                "Share of work time for ideas (an innovation Friday: 0.2)",
            ),
            nonneg(
                "focus",
                2.0,
                "Idea generation rises by focus x share (dedicated time)",
            ),
        ],
    },
    KindSpec {
        name: "idea_platform",
        fields: &[
            nonneg("capacity", 2.0, "Platform ideas reviewed per week"),
            Field::float(
                "beta0",
                Bound::Open,
                Bound::Open,
                -6.0,
                "Submission logit intercept (anonymous channel)",
            ),
            Field::float(
                "beta_psi",
                Bound::Open,
                Bound::Open,
                1.0,
                "Submission logit weight of psychological safety",
            ),
            unit(
                "support",
                0.5,
                "Chance that a platform idea judged good is accepted",
            ),
        ],
    },
    KindSpec {
        name: "rewards",
        fields: &[nonneg(
            "level",
            1.0,
            "Rewards for voiced ideas (1: a typical scheme)",
        )],
    },
    KindSpec {
        name: "idea_session",
        fields: &[
            unit(
                "participation",
                0.5,
                "Share of the targeted employees who join (voluntary)",
            ),
            Field::int("ideas", 0, 100, 3, "Ideas each participant brings"),
            Field::int(
                "question_dimensions",
                1,
                64,
                5,
                "Dimensions the session's question covers (drawn at random)",
            ),
            unit(
                "voice",
                0.9,
                "Chance a session idea is voiced (the manager speaks little)",
            ),
            Field::boolean(
                "follow_up",
                false,
                "Whether review capacity is booked for the session's ideas",
            ),
            nonneg(
                "follow_up_capacity",
                5.0,
                "Extra ideas each team reviews per week during the follow-up",
            ),
            nonneg(
                "follow_up_weeks",
                8.0,
                "How long the follow-up's capacity stays booked",
            ),
        ],
    },
    KindSpec {
        name: "cross_functional_teams",
        fields: &[unit(
            "share",
            0.3,
            "Share of the targeted teams' members exchanged with teams of other departments",
        )],
    },
    KindSpec {
        name: "external_partners",
        fields: &[
            Field::int("count", 0, 100_000, 5, "Partners added"),
            Field::int(
                "ties",
                1,
                1_000_000,
                5,
                "Employees tied to each partner (depth)",
            ),
            unit(
                "knowledge",
                0.8,
                "Share of dimensions on which a partner is right",
            ),
            nonneg("rate", 4.0, "Beliefs copied per partner tie per year"),
            unit(
                "attention",
                0.05,
                "Share of work time each partner tie costs",
            ),
        ],
    },
    KindSpec {
        name: "self_steering_teams",
        fields: &[
            shift("delegation", 0.3, "Added to delegation D"),
            shift("control", -0.3, "Added to control K"),
        ],
    },
    KindSpec {
        name: "central_innovation_manager",
        fields: &[
            nonneg("capacity", 10.0, "Ideas the manager reviews per week"),
            unit(
                "support",
                0.6,
                "Chance the manager accepts an idea judged good",
            ),
        ],
    },
    KindSpec {
        name: "reorganisation",
        fields: &[
            unit(
                "share",
                0.3,
                "Share of the targeted employees moved to other teams",
            ),
            unit("rewire", 0.5, "Share of the outside ties rewired at random"),
            unit(
                "psi_shock",
                0.15,
                "Psychological safety lost (share) by every targeted employee",
            ),
            unit("motivation_shock", 0.1, "Motivation lost (share)"),
            unit("support_drop", 0.1, "Support S the targeted leaders lose"),
            Field::float(
                "recovery",
                Bound::Excl(0.0),
                Bound::Open,
                52.0,
                "Weeks for the support drop to recover (time constant)",
            ),
            unit("scar", 0.5, "Share of the support drop that never recovers"),
        ],
    },
    KindSpec {
        name: "layoff",
        fields: &[
            Field::float(
                "share",
                Bound::Incl(0.0),
                Bound::Excl(1.0),
                0.3,
                "Share of the targeted employees who leave (leaders stay)",
            ),
            unit("rewire", 0.3, "Share of the outside ties rewired at random"),
            unit(
                "psi_shock",
                0.25,
                "Psychological safety lost (share) by every remaining targeted employee",
            ),
            unit("motivation_shock", 0.2, "Motivation lost (share)"),
            unit("support_drop", 0.2, "Support S the targeted leaders lose"),
            unit(
                "workload",
                0.3,
                "Time pressure rises by workload x share (the same work, fewer people)",
            ),
            Field::float(
                "recovery",
                Bound::Excl(0.0),
                Bound::Open,
                52.0,
                "Weeks for the support drop to recover (time constant)",
            ),
            unit(
                "scar",
                0.5,
                "Share of the support drop and of lost baseline motivation that never recovers",
            ),
        ],
    },
    KindSpec {
        name: "turnover",
        fields: &[unit(
            "rate",
            0.2,
            "Annual quit chance at reference motivation while active",
        )],
    },
    KindSpec {
        name: "time_pressure",
        fields: &[shift(
            "change",
            0.2,
            "Added to every targeted employee's time pressure",
        )],
    },
    KindSpec {
        name: "turbulence",
        fields: &[unit(
            "rate",
            0.1,
            "Annual chance that a dimension of reality flips while active",
        )],
    },
];

/// The spec of a kind by name.
pub fn spec(name: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.name == name)
}

/// The schema field of key `template` in intervention `index`, with the
/// path `interventions.<index>.<key>`. Fields are created once per (index,
/// key) for the whole process and shared (the schema works with
/// `&'static` fields; there are only as many as interventions times keys).
pub fn instance_field(index: usize, template: &'static Field) -> &'static Field {
    type Key = (usize, &'static str, &'static str);
    static CACHE: OnceLock<Mutex<HashMap<Key, &'static Field>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    // Keys of different kinds may share a name (`share`) but not a doc.
    let key = (index, template.path, template.doc);
    map.entry(key).or_insert_with(|| {
        let path: &'static str =
            Box::leak(format!("interventions.{index}.{}", template.path).into_boxed_str());
        Box::leak(Box::new(Field { path, ..*template }))
    })
}

/// Every field of intervention `index` of kind `kind` (common keys first).
pub fn instance_fields(index: usize, kind: &'static KindSpec) -> Vec<&'static Field> {
    COMMON
        .iter()
        .chain(kind.fields.iter())
        .map(|f| instance_field(index, f))
        .collect()
}

/// What an intervention does, with its parameters.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Action {
    Leadership {
        preset: Option<usize>,
        shift: Style,
    },
    PsychSafetyTraining {
        boost: f64,
    },
    InnovationTime {
        share: f64,
        focus: f64,
    },
    IdeaPlatform {
        capacity: f64,
        beta0: f64,
        beta_psi: f64,
        support: f64,
    },
    Rewards {
        level: f64,
    },
    IdeaSession {
        participation: f64,
        ideas: u32,
        dims: u32,
        voice: f64,
        follow_up: bool,
        capacity: f64,
        weeks: f64,
    },
    CrossFunctional {
        share: f64,
    },
    ExternalPartners {
        count: usize,
        ties: usize,
        knowledge: f64,
        rate: f64,
        attention: f64,
    },
    SelfSteering {
        delegation: f64,
        control: f64,
    },
    CentralManager {
        capacity: f64,
        support: f64,
    },
    Reorganisation {
        share: f64,
        rewire: f64,
        psi_shock: f64,
        motivation_shock: f64,
        support_drop: f64,
        recovery: f64,
        scar: f64,
    },
    Layoff {
        share: f64,
        rewire: f64,
        psi_shock: f64,
        motivation_shock: f64,
        support_drop: f64,
        workload: f64,
        recovery: f64,
        scar: f64,
    },
    Turnover {
        rate: f64,
    },
    TimePressure {
        change: f64,
    },
    Turbulence {
        rate: f64,
    },
}

/// One intervention, read from a scenario's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervention {
    /// Position in the file's `[[interventions]]`.
    pub index: usize,
    /// It takes effect right after this step.
    pub at: u64,
    /// It ends right after this step (None: never).
    pub until: Option<u64>,
    /// Steps to full effect.
    pub ramp: u64,
    /// Targeted departments (empty: all).
    pub departments: Vec<usize>,
    /// Targeted teams (empty: all of the departments).
    pub teams: Vec<usize>,
    /// Share of the targeted teams drawn at random.
    pub share: f64,
    /// What it does.
    pub action: Action,
}

impl Intervention {
    /// The weight of a continuous effect during step `t` (steps counted from
    /// the end of burn-in, from 1): 0 before `at` and after `until`, rising
    /// linearly over `ramp` steps.
    pub fn weight(&self, t: u64) -> f64 {
        if t <= self.at || self.until.is_some_and(|u| t > u) {
            return 0.0;
        }
        if self.ramp == 0 {
            1.0
        } else {
            ((t - self.at) as f64 / self.ramp as f64).min(1.0)
        }
    }

    /// Whether a one-off event happens during step `t` (the first step
    /// after `at`).
    pub fn fires(&self, t: u64) -> bool {
        t == self.at + 1
    }
}

/// Reads every intervention of a scenario's parameters.
pub fn read_all(ps: &ParamSet) -> Vec<Intervention> {
    (0..).map_while(|index| read_one(ps, index)).collect()
}

/// Reads intervention `index` (None when there is none).
pub fn read_one(ps: &ParamSet, index: usize) -> Option<Intervention> {
    {
        let Some(Value::Str(kind)) = ps.get(&format!("interventions.{index}.kind")) else {
            return None;
        };
        let g = |key: &str| ps.get(&format!("interventions.{index}.{key}"));
        let f = |key: &str| g(key).and_then(Value::as_f64).unwrap_or(0.0);
        let u = |key: &str| g(key).and_then(Value::as_i64).unwrap_or(0).max(0) as u64;
        let list = |key: &str| match g(key) {
            Some(Value::IntList(v)) => v.iter().map(|&i| i.max(0) as usize).collect(),
            _ => Vec::new(),
        };
        let action = match kind.as_str() {
            "leadership" => Action::Leadership {
                preset: g("style")
                    .and_then(Value::as_str)
                    .and_then(|s| STYLE_NAMES.iter().position(|n| *n == s)),
                shift: Style {
                    openness: f("openness"),
                    support: f("support"),
                    control: f("control"),
                    failure_tolerance: f("failure_tolerance"),
                    delegation: f("delegation"),
                },
            },
            "psych_safety_training" => Action::PsychSafetyTraining { boost: f("boost") },
            "innovation_time" => Action::InnovationTime {
                share: f("share"),
                focus: f("focus"),
            },
            "idea_platform" => Action::IdeaPlatform {
                capacity: f("capacity"),
                beta0: f("beta0"),
                beta_psi: f("beta_psi"),
                support: f("support"),
            },
            "rewards" => Action::Rewards { level: f("level") },
            "idea_session" => Action::IdeaSession {
                participation: f("participation"),
                ideas: u("ideas") as u32,
                dims: u("question_dimensions") as u32,
                voice: f("voice"),
                follow_up: g("follow_up").and_then(Value::as_bool).unwrap_or(false),
                capacity: f("follow_up_capacity"),
                weeks: f("follow_up_weeks"),
            },
            "cross_functional_teams" => Action::CrossFunctional { share: f("share") },
            "external_partners" => Action::ExternalPartners {
                count: u("count") as usize,
                ties: u("ties") as usize,
                knowledge: f("knowledge"),
                rate: f("rate"),
                attention: f("attention"),
            },
            "self_steering_teams" => Action::SelfSteering {
                delegation: f("delegation"),
                control: f("control"),
            },
            "central_innovation_manager" => Action::CentralManager {
                capacity: f("capacity"),
                support: f("support"),
            },
            "reorganisation" => Action::Reorganisation {
                share: f("share"),
                rewire: f("rewire"),
                psi_shock: f("psi_shock"),
                motivation_shock: f("motivation_shock"),
                support_drop: f("support_drop"),
                recovery: f("recovery"),
                scar: f("scar"),
            },
            "layoff" => Action::Layoff {
                share: f("share"),
                rewire: f("rewire"),
                psi_shock: f("psi_shock"),
                motivation_shock: f("motivation_shock"),
                support_drop: f("support_drop"),
                workload: f("workload"),
                recovery: f("recovery"),
                scar: f("scar"),
            },
            "turnover" => Action::Turnover { rate: f("rate") },
            "time_pressure" => Action::TimePressure {
                change: f("change"),
            },
            _ => Action::Turbulence { rate: f("rate") },
        };
        let until = g("until").and_then(Value::as_i64).unwrap_or(-1);
        Some(Intervention {
            index,
            at: u("at"),
            until: (until >= 0).then_some(until as u64),
            ramp: u("ramp"),
            departments: list("target.departments"),
            teams: list("target.teams"),
            share: g("target.share").and_then(Value::as_f64).unwrap_or(1.0),
            action,
        })
    }
}

/// The cross-field checks of every intervention of a scenario: one per
/// intervention, reading its own keys, the organisation's shape and the
/// number of steps (so a sweep of one intervention's keys is checked
/// without enumerating another's).
pub fn checks(base: &ParamSet) -> Vec<Check> {
    (0..)
        .map_while(|index| {
            let Some(Value::Str(kind)) = base.get(&format!("interventions.{index}.kind")) else {
                return None;
            };
            let spec = spec(kind)?;
            let mut reads: Vec<&'static str> = instance_fields(index, spec)
                .iter()
                .map(|f| f.path)
                .collect();
            reads.extend(ORGANISATION_READS);
            Some(Check {
                reads,
                run: Box::new(move |ps: &ParamSet| check_one(ps, index)),
            })
        })
        .collect()
}

/// The fields of the organisation an intervention's check reads.
const ORGANISATION_READS: [&str; 3] = [
    "climate.organisation.departments",
    "climate.organisation.teams_per_department",
    "steps",
];

/// Checks that need the organisation: targets that exist, `until` after
/// `at`.
fn check_one(ps: &ParamSet, index: usize) -> Vec<Issue> {
    let mut issues = Vec::new();
    let departments = ps.u64("climate.organisation.departments") as usize;
    let teams = departments * ps.u64("climate.organisation.teams_per_department") as usize;
    if let Some(iv) = read_one(ps, index) {
        let path = |key: &str| instance_path(iv.index, key);
        let steps = ps.u64("steps");
        if iv.at >= steps {
            issues.push(Issue {
                fields: vec![path("at"), "steps"],
                message: format!(
                    "expected at < steps ({steps}) so that the intervention takes effect during the run (it acts from step at + 1), found at = {}",
                    iv.at
                ),
            });
        }
        if let Some(u) = iv.until
            && u < iv.at
        {
            issues.push(Issue {
                fields: vec![path("until"), path("at")],
                message: format!(
                    "expected until >= at (or -1 for never), found until = {u} < at = {}",
                    iv.at
                ),
            });
        }
        if let Some(&d) = iv.departments.iter().find(|&&d| d >= departments) {
            issues.push(Issue {
                fields: vec![path("target.departments")],
                message: format!(
                    "expected department indices from 0 to {}, found {d}",
                    departments - 1
                ),
            });
        }
        if let Action::ExternalPartners { count, ties, .. } = iv.action
            && count as u128 * ties as u128
                > crate::model::climate::params::MAX_PARTNER_TIES as u128
        {
            issues.push(Issue {
                fields: vec![path("count"), path("ties")],
                message: format!(
                    "expected at most {} partner ties (count x ties), found {count} x {ties}",
                    crate::model::climate::params::MAX_PARTNER_TIES
                ),
            });
        }
        if let Some(&t) = iv.teams.iter().find(|&&t| t >= teams) {
            issues.push(Issue {
                fields: vec![path("target.teams")],
                message: format!("expected team indices from 0 to {}, found {t}", teams - 1),
            });
        }
    }
    issues
}

/// The static path of key `key` of intervention `index`.
fn instance_path(index: usize, key: &str) -> &'static str {
    let template = COMMON
        .iter()
        .chain(KINDS.iter().flat_map(|k| k.fields.iter()))
        .find(|f| f.path == key)
        .unwrap_or(&COMMON[0]);
    instance_field(index, template).path
}

// ---------------------------------------------------------------------------
// Running interventions.

use rand::RngExt;

use crate::model::climate::leadership::PRESETS;
use crate::model::climate::{Channel, Climate, Live, Mods, ReviewMode};
use crate::model::knowledge;
use crate::rng::{Purpose, SETUP, Stream, stream};

const TARGETS: Purpose = Purpose(0xC11A_0020);
const SESSION: Purpose = Purpose(0xC11A_0021);
const RESHAPE: Purpose = Purpose(0xC11A_0022);
const QUESTION: Purpose = Purpose(0xC11A_0023);

impl Climate {
    /// The teams an intervention targets: the teams of its `departments`
    /// together with its `teams` (all teams when both are empty), then a
    /// random `share` of those drawn from the scenario seed, so a baseline
    /// and a variant target the same teams.
    pub(super) fn resolve_targets(&self, iv: &Intervention, scenario_seed: u64) -> Vec<u32> {
        let tpd = self.p.teams_per_department;
        let everyone = iv.departments.is_empty() && iv.teams.is_empty();
        // Membership tables, so the pool costs teams + list lengths (a list
        // of a million team indices against a million teams is linear).
        let n = self.teams.len();
        let mut targeted = vec![everyone; n];
        for &d in &iv.departments {
            for t in targeted.iter_mut().skip(d.saturating_mul(tpd)).take(tpd) {
                *t = true;
            }
        }
        for &j in &iv.teams {
            if let Some(t) = targeted.get_mut(j) {
                *t = true;
            }
        }
        let pool: Vec<u32> = (0..n).filter(|&j| targeted[j]).map(|j| j as u32).collect();
        if iv.share >= 1.0 {
            return pool;
        }
        let k = ((iv.share * pool.len() as f64).round() as usize).min(pool.len());
        let mut rng = stream(scenario_seed, TARGETS, SETUP, iv.index as u64);
        let mut chosen: Vec<u32> = rand::seq::index::sample(&mut rng, pool.len(), k)
            .iter()
            .map(|i| pool[i])
            .collect();
        chosen.sort_unstable();
        chosen
    }

    /// Derived team settings from the styles in force: collective review
    /// and experiment slots.
    pub(super) fn refresh_styles(&mut self) {
        let p = &self.p;
        for t in self.teams.iter_mut() {
            t.collective = match p.review_mode {
                ReviewMode::Team => true,
                ReviewMode::Delegated => t.close.delegation >= p.delegation_threshold,
                ReviewMode::Leader | ReviewMode::Central => false,
            };
            t.slots = ((p.concurrency * t.close.support).round() as usize).max(1);
        }
    }

    /// Puts every intervention's effect for this step in force, and runs
    /// the one-off events due now. Steps count from the end of burn-in;
    /// nothing happens during burn-in.
    pub(super) fn apply_interventions(&mut self) {
        if self.p.interventions.is_empty() {
            return;
        }
        let t = self.clock.saturating_sub(self.p.burn_in);
        if t == 0 {
            return;
        }
        self.live = Live::new(&self.p, &self.rates);
        let rewards = self.p.rewards;
        for team in self.teams.iter_mut() {
            team.open = team.base_open;
            team.close = team.base_close;
            team.mods = Mods::base(rewards);
        }
        let weeks = self.p.weeks_per_step;
        let interventions = self.p.interventions.clone();
        for iv in &interventions {
            let w = iv.weight(t);
            let fires = iv.fires(t);
            let after = t > iv.at;
            let targets = std::mem::take(&mut self.targets[iv.index]);
            match iv.action {
                Action::Leadership { preset, shift } if w > 0.0 => {
                    for &j in &targets {
                        let team = &mut self.teams[j as usize];
                        let (po, pc) = match preset {
                            Some(k) => (PRESETS[k].open, PRESETS[k].close),
                            None => (team.base_open, team.base_close),
                        };
                        team.open = team.open.plus(po.minus(team.base_open), w).plus(shift, w);
                        team.close = team.close.plus(pc.minus(team.base_close), w).plus(shift, w);
                    }
                }
                Action::PsychSafetyTraining { boost } => {
                    for &j in &targets {
                        self.teams[j as usize].mods.psi_boost += w * boost;
                    }
                }
                Action::InnovationTime { share, focus } => {
                    for &j in &targets {
                        let mods = &mut self.teams[j as usize].mods;
                        mods.pressure_mul *= 1.0 - w * share;
                        mods.generation *= 1.0 + w * focus * share;
                    }
                }
                Action::IdeaPlatform {
                    capacity,
                    beta0,
                    beta_psi,
                    support,
                } if w > 0.0 => {
                    let live = &mut self.live;
                    live.platform = true;
                    live.platform_beta0 = beta0;
                    live.platform_beta_psi = beta_psi;
                    live.platform_capacity = capacity * weeks * w;
                    live.platform_support = support;
                }
                Action::Rewards { level } => {
                    for &j in &targets {
                        self.teams[j as usize].mods.rewards += w * level;
                    }
                }
                Action::IdeaSession {
                    participation,
                    ideas,
                    dims,
                    voice,
                    follow_up,
                    capacity,
                    weeks: booked,
                } => {
                    if fires {
                        self.idea_session(iv.index, &targets, participation, ideas, dims, voice);
                    }
                    let follow = (t - iv.at.min(t)) as f64 * weeks <= booked;
                    if follow_up && after && follow {
                        for &j in &targets {
                            self.teams[j as usize].mods.extra_capacity += capacity * weeks;
                        }
                    }
                }
                Action::CrossFunctional { share } if fires => {
                    self.cross_functional(iv.index, &targets, share)
                }
                Action::ExternalPartners {
                    count,
                    ties,
                    knowledge,
                    rate,
                    attention,
                } if fires => {
                    let spec = super::PartnerSpec {
                        count,
                        ties,
                        knowledge,
                        rate,
                        attention,
                    };
                    let mut org = stream(self.scenario_seed, RESHAPE, SETUP, iv.index as u64);
                    let mut world = stream(self.seed, RESHAPE, self.clock, iv.index as u64);
                    self.add_partners(spec, &targets, &mut org, &mut world);
                }
                Action::SelfSteering {
                    delegation,
                    control,
                } => {
                    let shift = Style {
                        delegation,
                        control,
                        ..Style::default()
                    };
                    for &j in &targets {
                        let team = &mut self.teams[j as usize];
                        team.open = team.open.plus(shift, w);
                        team.close = team.close.plus(shift, w);
                    }
                }
                Action::CentralManager { capacity, support } if w > 0.0 => {
                    self.live.central = true;
                    self.live.central_capacity = capacity * weeks;
                    self.live.central_support = support;
                }
                Action::Reorganisation {
                    share,
                    rewire,
                    psi_shock,
                    motivation_shock,
                    support_drop,
                    recovery,
                    scar,
                } => {
                    if fires {
                        self.reorganise(
                            iv.index,
                            &targets,
                            share,
                            rewire,
                            psi_shock,
                            motivation_shock,
                        );
                    }
                    if after {
                        self.support_loss(
                            &targets,
                            support_drop,
                            scar,
                            recovery,
                            (t - iv.at - 1) as f64 * weeks,
                        );
                    }
                }
                Action::Layoff {
                    share,
                    rewire,
                    psi_shock,
                    motivation_shock,
                    support_drop,
                    workload,
                    recovery,
                    scar,
                } => {
                    if fires {
                        self.layoff(
                            iv.index,
                            &targets,
                            share,
                            rewire,
                            psi_shock,
                            motivation_shock,
                            scar,
                        );
                    }
                    if after {
                        self.support_loss(
                            &targets,
                            support_drop,
                            scar,
                            recovery,
                            (t - iv.at - 1) as f64 * weeks,
                        );
                        for &j in &targets {
                            self.teams[j as usize].mods.pressure_add += workload * share;
                        }
                    }
                }
                Action::Turnover { rate } if w > 0.0 => {
                    self.live.turnover += w * (rate - self.live.turnover);
                }
                Action::TimePressure { change } => {
                    for &j in &targets {
                        self.teams[j as usize].mods.pressure_add += w * change;
                    }
                }
                Action::Turbulence { rate } if w > 0.0 => {
                    let r = self.live.turbulence_rate + w * (rate - self.live.turbulence_rate);
                    self.live.turbulence_rate = r;
                    let step = 1.0 - (1.0 - r.clamp(0.0, 1.0)).powf(self.rates.dt);
                    self.live.turbulence = rand::distr::Bernoulli::new(step.clamp(0.0, 1.0))
                        .unwrap_or(rand::distr::Bernoulli::new(0.0).expect("0 is a probability"));
                }
                _ => {}
            }
            self.targets[iv.index] = targets;
        }
        for team in self.teams.iter_mut() {
            team.open = team.open.clamped();
            team.close = team.close.clamped();
        }
        self.refresh_styles();
    }

    /// Leaders' support after a layoff or reorganisation: it drops by
    /// `drop` and recovers with time constant `recovery` weeks, except for
    /// the `scar` share that never recovers (Amabile & Conti 1999).
    fn support_loss(
        &mut self,
        targets: &[u32],
        drop: f64,
        scar: f64,
        recovery: f64,
        weeks_since: f64,
    ) {
        let loss = drop * (scar + (1.0 - scar) * (-weeks_since / recovery).exp());
        let shift = Style {
            support: -loss,
            ..Style::default()
        };
        for &j in targets {
            let team = &mut self.teams[j as usize];
            team.open = team.open.plus(shift, 1.0);
            team.close = team.close.plus(shift, 1.0);
        }
    }

    /// A one-off idea session: a share of each targeted team's employees
    /// join and each brings `ideas` ideas on the session's question (a set
    /// of `dims` dimensions), voiced with chance `voice` because the manager
    /// speaks little. The session's ideas wait in their own queue, reviewed
    /// only with the capacity a follow-up books; without one they expire
    /// unreviewed (futility). Session voice does not build a voice habit.
    fn idea_session(
        &mut self,
        index: usize,
        targets: &[u32],
        participation: f64,
        ideas: u32,
        dims: u32,
        voice: f64,
    ) {
        let m = self.dims.m();
        let mut q_rng = stream(self.scenario_seed, QUESTION, SETUP, index as u64);
        let question: u64 = rand::seq::index::sample(&mut q_rng, m as usize, dims.min(m) as usize)
            .iter()
            .fold(0u64, |acc, d| acc | 1 << d);
        let mut rng = stream(self.seed, SESSION, self.clock, index as u64);
        let epsilon = self.p.epsilon;
        for &j in targets {
            let j = j as usize;
            let members = self.teams[j].members();
            let k = ((participation * members.len() as f64).round() as usize).min(members.len());
            let chosen: Vec<usize> = rand::seq::index::sample(&mut rng, members.len(), k)
                .iter()
                .map(|x| members.start + x)
                .collect();
            for i in chosen {
                for _ in 0..ideas {
                    let b = self.beliefs[i];
                    let code = self.teams[j].code;
                    let own = b.nz & !(code.nz & !(b.pos ^ code.pos)) & question;
                    let (dim, plus) = if own == 0 || rng.random_bool(epsilon) {
                        let d = knowledge::nth_set_bit(
                            question,
                            rng.random_range(0..question.count_ones()),
                        );
                        let plus = match code.get(d) {
                            0 => rng.random_bool(0.5),
                            v => v < 0,
                        };
                        (d, plus)
                    } else {
                        let d = knowledge::nth_set_bit(own, rng.random_range(0..own.count_ones()));
                        (d, b.pos >> d & 1 == 1)
                    };
                    let good = (self.reality >> dim & 1 == 1) == plus;
                    self.counts.generated += 1;
                    let channel = if rng.random_bool(voice) {
                        Channel::Session
                    } else {
                        Channel::Silence
                    };
                    self.submit(i, j, dim, plus, good, channel);
                }
            }
        }
    }

    /// Exchanges a share of the targeted teams' members (not leaders) with
    /// members of teams in other departments; each exchange adds a tie
    /// between the two teams (people keep ties to their old team).
    fn cross_functional(&mut self, index: usize, targets: &[u32], share: f64) {
        let tpd = self.p.teams_per_department;
        let n_teams = self.teams.len();
        let mut rng = stream(self.scenario_seed, RESHAPE, SETUP, index as u64);
        let mut order: Vec<usize> = (0..self.team_of.len()).collect();
        let mut ties: Vec<(u32, u32)> = Vec::new();
        for &j in targets {
            let j = j as usize;
            let others: Vec<usize> = (0..n_teams)
                .filter(|&k| k / tpd != j / tpd && self.teams[k].members().len() > 1)
                .collect();
            if others.is_empty() {
                continue;
            }
            let members: Vec<usize> = self.teams[j].members().skip(1).collect();
            let k = ((share * members.len() as f64).round() as usize).min(members.len());
            for x in rand::seq::index::sample(&mut rng, members.len(), k).iter() {
                let other = others[rng.random_range(0..others.len())];
                let r = self.teams[other].members();
                let y = rng.random_range(r.start + 1..r.end);
                order.swap(members[x], y);
                ties.push((j as u32, other as u32));
            }
        }
        let sizes: Vec<usize> = self.teams.iter().map(|t| t.members().len()).collect();
        self.rebuild_people(&order, &sizes);
        self.add_team_ties(&ties);
    }

    /// Moves a share of the targeted teams' members (not leaders) to other
    /// teams (exchanging places), rewires outside ties and shocks the
    /// targeted teams' climate.
    fn reorganise(
        &mut self,
        index: usize,
        targets: &[u32],
        share: f64,
        rewire: f64,
        psi_shock: f64,
        motivation_shock: f64,
    ) {
        let n_teams = self.teams.len();
        let mut rng = stream(self.scenario_seed, RESHAPE, SETUP, index as u64);
        let mut order: Vec<usize> = (0..self.team_of.len()).collect();
        for &j in targets {
            let j = j as usize;
            let members: Vec<usize> = self.teams[j].members().skip(1).collect();
            let k = ((share * members.len() as f64).round() as usize).min(members.len());
            for x in rand::seq::index::sample(&mut rng, members.len(), k).iter() {
                let other = rng.random_range(0..n_teams);
                let r = self.teams[other].members();
                if other == j || r.len() < 2 {
                    continue;
                }
                let y = rng.random_range(r.start + 1..r.end);
                order.swap(members[x], y);
            }
        }
        let sizes: Vec<usize> = self.teams.iter().map(|t| t.members().len()).collect();
        self.rebuild_people(&order, &sizes);
        self.rewire_ties(targets, rewire, &mut rng);
        self.shock(targets, psi_shock, motivation_shock, 0.0);
    }

    /// A share of the targeted teams' members (not leaders) leave and are
    /// not replaced; outside ties are rewired; those who stay lose
    /// psychological safety and motivation, part of it for good (Amabile &
    /// Conti 1999).
    #[allow(clippy::too_many_arguments)]
    fn layoff(
        &mut self,
        index: usize,
        targets: &[u32],
        share: f64,
        rewire: f64,
        psi_shock: f64,
        motivation_shock: f64,
        scar: f64,
    ) {
        let mut rng = stream(self.seed, RESHAPE, self.clock, index as u64);
        let candidates: Vec<usize> = targets
            .iter()
            .flat_map(|&j| self.teams[j as usize].members().skip(1))
            .collect();
        let k = ((share * candidates.len() as f64).round() as usize).min(candidates.len());
        let mut leaves = vec![false; self.team_of.len()];
        for x in rand::seq::index::sample(&mut rng, candidates.len(), k).iter() {
            leaves[candidates[x]] = true;
        }
        self.counts.leavers += k as u64;
        let order: Vec<usize> = (0..self.team_of.len()).filter(|&i| !leaves[i]).collect();
        let sizes: Vec<usize> = self
            .teams
            .iter()
            .map(|t| t.members().filter(|&i| !leaves[i]).count())
            .collect();
        self.rebuild_people(&order, &sizes);
        let mut org = stream(self.scenario_seed, RESHAPE, SETUP, index as u64);
        self.rewire_ties(targets, rewire, &mut org);
        self.shock(targets, psi_shock, motivation_shock, scar);
    }

    /// Lowers the targeted teams' psychological safety and motivation by the
    /// given shares; a `scar` share of the motivation loss also lowers the
    /// baseline it returns to.
    fn shock(&mut self, targets: &[u32], psi_shock: f64, motivation_shock: f64, scar: f64) {
        for &j in targets {
            for i in self.teams[j as usize].members() {
                self.psi[i] *= (1.0 - psi_shock) as f32;
                self.motivation[i] *= (1.0 - motivation_shock) as f32;
                self.motivation_base[i] *= (1.0 - scar * motivation_shock) as f32;
            }
        }
    }

    /// Lays the people out again: slot k holds old person `order[k]`, teams
    /// taking `sizes[j]` consecutive slots. Ideas of people not kept are
    /// dropped; everything indexed by person is remapped.
    fn rebuild_people(&mut self, order: &[usize], sizes: &[usize]) {
        let old_n = self.team_of.len();
        let mut new_index = vec![u32::MAX; old_n];
        for (k, &o) in order.iter().enumerate() {
            new_index[o] = k as u32;
        }
        fn pick<T: Copy>(v: &[T], order: &[usize]) -> Vec<T> {
            order.iter().map(|&o| v[o]).collect()
        }
        self.psi = pick(&self.psi, order);
        self.autonomy = pick(&self.autonomy, order);
        self.creativity = pick(&self.creativity, order);
        self.motivation = pick(&self.motivation, order);
        self.motivation_base = pick(&self.motivation_base, order);
        self.pressure = pick(&self.pressure, order);
        self.habit = pick(&self.habit, order);
        self.disposition = pick(&self.disposition, order);
        self.perf_z = pick(&self.perf_z, order);
        self.beliefs = pick(&self.beliefs, order);
        self.last_voiced = pick(&self.last_voiced, order);
        self.last_silenced = pick(&self.last_silenced, order);
        self.seat_generation = pick(&self.seat_generation, order);
        let mut pairs = Vec::new();
        for (i, &k) in new_index.iter().enumerate() {
            if k == u32::MAX {
                continue;
            }
            for e in self.partner_offsets[i]..self.partner_offsets[i + 1] {
                pairs.push((k, self.partner_of[e as usize]));
            }
        }
        self.team_of.clear();
        let mut start = 0u32;
        for (j, (t, &size)) in self.teams.iter_mut().zip(sizes).enumerate() {
            t.start = start;
            t.end = start + size as u32;
            start += size as u32;
            self.team_of.extend(std::iter::repeat_n(j as u32, size));
        }
        self.set_partner_ties(pairs);
        let remap = |idea: &mut super::Idea| {
            let k = new_index[idea.proposer as usize];
            idea.proposer = k;
            k != u32::MAX
        };
        for t in self.teams.iter_mut() {
            t.inbox.queue.retain_mut(remap);
            t.session.queue.retain_mut(remap);
            t.waiting.retain_mut(remap);
            t.running.retain_mut(|r| remap(&mut r.idea));
        }
        self.central.queue.retain_mut(remap);
        self.platform.queue.retain_mut(remap);
    }

    /// The outside ties as undirected unit pairs (a < b), one per unit of
    /// weight.
    fn team_tie_units(&self) -> Vec<(u32, u32)> {
        let mut units = Vec::new();
        for a in 0..self.teams.len() {
            for e in self.net_offsets[a] as usize..self.net_offsets[a + 1] as usize {
                let b = self.net_targets[e];
                if (a as u32) < b {
                    units.extend(std::iter::repeat_n(
                        (a as u32, b),
                        self.net_weights[e] as usize,
                    ));
                }
            }
        }
        units
    }

    /// Rebuilds the weighted team graph from undirected unit pairs.
    pub(super) fn set_team_ties(&mut self, units: &[(u32, u32)]) {
        let mut pairs: Vec<(u32, u32)> =
            units.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        pairs.sort_unstable();
        let n_teams = self.teams.len();
        self.net_offsets = vec![0; n_teams + 1];
        self.net_targets.clear();
        self.net_weights.clear();
        for w in pairs.chunk_by(|a, b| a == b) {
            let (from, to) = w[0];
            self.net_targets.push(to);
            self.net_weights.push(w.len() as f32);
            self.net_offsets[from as usize + 1] += 1;
        }
        for j in 0..n_teams {
            self.net_offsets[j + 1] += self.net_offsets[j];
        }
    }

    fn add_team_ties(&mut self, extra: &[(u32, u32)]) {
        let mut units = self.team_tie_units();
        units.extend(
            extra
                .iter()
                .map(|&(a, b)| (a.min(b), a.max(b)))
                .filter(|(a, b)| a != b),
        );
        self.set_team_ties(&units);
    }

    /// Each unit of outside tie touching a targeted team moves, with chance
    /// `share`, its far end to a team drawn at random.
    fn rewire_ties(&mut self, targets: &[u32], share: f64, rng: &mut Stream) {
        let n_teams = self.teams.len() as u32;
        if share <= 0.0 || n_teams < 3 {
            return;
        }
        let mut targeted = vec![false; n_teams as usize];
        for &j in targets {
            targeted[j as usize] = true;
        }
        let mut units = self.team_tie_units();
        for u in units.iter_mut() {
            let (a, b) = *u;
            if !(targeted[a as usize] || targeted[b as usize]) || !rng.random_bool(share) {
                continue;
            }
            let keep = if targeted[a as usize] { a } else { b };
            let mut other = rng.random_range(0..n_teams - 1);
            if other >= keep {
                other += 1;
            }
            *u = (keep.min(other), keep.max(other));
        }
        self.set_team_ties(&units);
    }
}

/// `[[interventions]]` as a repeated table of the climate model's
/// scenario files (the scenario reader walks it knowing nothing else of
/// interventions).
pub const TABLE: crate::param::RepeatedTable = crate::param::RepeatedTable {
    key: "interventions",
    entry: "intervention",
    kind_key: "kind",
    name_key: "name",
    kinds: KIND_NAMES,
    kind_field: |index| instance_field(index, &COMMON[0]),
    fields: |index, kind| spec(kind).map(|spec| instance_fields(index, spec)),
};
