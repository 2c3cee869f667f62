//! Parallel passes over teams within one run.
//!
//! The per-employee phases of a step (team statistics and idea generation;
//! socialisation, partner learning, climate and turnover) touch only the
//! employees of one team and draw from that team's keyed streams, so teams
//! can be processed in any order or at once. The teams are cut into chunks
//! of consecutive teams (about 4,096 employees each); each chunk gets
//! disjoint mutable slices of the employee arrays and runs on the rayon
//! pool. What a chunk would add to shared state (counts, ideas for the
//! central reviewer or the platform) is kept per chunk and merged in chunk
//! order, so a run gives the same result on any number of threads, and the
//! same as processing the teams one after another.

use std::ops::Range;

use rand::RngExt;
use rayon::prelude::*;

use crate::model::climate::{
    Channel, Climate, ClimateParams, Counts, GENERATE, Idea, Live, PARTNERS, Partner, Rates,
    SOCIALISE, TURNOVER, Team, dist, logistic, poisson,
};
use crate::model::knowledge::{self, Dims, Ternary};
use crate::rng::StepKey;

/// Employees per chunk (about).
const CHUNK_EMPLOYEES: usize = 4096;

/// Most ideas one employee generates in one step, on average: a guard, far
/// above any calibrated scenario (tens of ideas per employee per year), so
/// that extreme but allowed settings (e.g. `motivation_ref` near 0, a large
/// `focus`, `lambda0` at its maximum with 52 weeks per step) cannot make a
/// step generate billions of ideas and never finish.
pub(super) const MAX_IDEAS_PER_STEP: f64 = 1000.0;

/// The employee arrays of one chunk of teams.
pub(super) struct People<'a> {
    /// Global index of the chunk's first employee.
    first: usize,
    psi: &'a mut [f32],
    autonomy: &'a mut [f32],
    creativity: &'a mut [f32],
    motivation: &'a mut [f32],
    motivation_base: &'a mut [f32],
    pressure: &'a mut [f32],
    habit: &'a mut [f32],
    disposition: &'a mut [f32],
    perf_z: &'a mut [f32],
    beliefs: &'a mut [Ternary],
    last_voiced: &'a mut [u32],
    last_silenced: &'a mut [u32],
    seat_generation: &'a mut [u32],
    attention: &'a [f32],
}

/// Read-only state every chunk needs.
pub(super) struct Ctx<'a> {
    p: &'a ClimateParams,
    rates: &'a Rates,
    live: &'a Live,
    dims: Dims,
    reality: u64,
    clock: u32,
    partner_offsets: &'a [u32],
    partner_of: &'a [u32],
    partners: &'a [Partner],
}

/// What a chunk adds to shared state.
#[derive(Default)]
pub(super) struct Out {
    counts: Counts,
    central: Vec<Idea>,
    platform: Vec<Idea>,
}

fn split<'a, T>(mut v: &'a mut [T], sizes: &[usize]) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let (head, tail) = v.split_at_mut(s);
        parts.push(head);
        v = tail;
    }
    parts
}

fn split_ref<'a, T>(mut v: &'a [T], sizes: &[usize]) -> Vec<&'a [T]> {
    let mut parts = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let (head, tail) = v.split_at(s);
        parts.push(head);
        v = tail;
    }
    parts
}

impl People<'_> {
    /// Global index of the first employee in these slices.
    pub(super) fn first(&self) -> usize {
        self.first
    }
}

impl Climate {
    /// Runs `f` on team `j` alone (for one-off events), merging what it
    /// adds to shared state.
    pub(super) fn with_team<F>(&mut self, j: usize, f: F)
    where
        F: FnOnce(&Ctx<'_>, &mut Team, &mut People<'_>, &mut Out),
    {
        let r = self.teams[j].members();
        let ctx = Ctx {
            p: &self.p,
            rates: &self.rates,
            live: &self.live,
            dims: self.dims,
            reality: self.reality,
            clock: self.clock as u32,
            partner_offsets: &self.partner_offsets,
            partner_of: &self.partner_of,
            partners: &self.partners,
        };
        let mut people = People {
            first: r.start,
            psi: &mut self.psi[r.clone()],
            autonomy: &mut self.autonomy[r.clone()],
            creativity: &mut self.creativity[r.clone()],
            motivation: &mut self.motivation[r.clone()],
            motivation_base: &mut self.motivation_base[r.clone()],
            pressure: &mut self.pressure[r.clone()],
            habit: &mut self.habit[r.clone()],
            disposition: &mut self.disposition[r.clone()],
            perf_z: &mut self.perf_z[r.clone()],
            beliefs: &mut self.beliefs[r.clone()],
            last_voiced: &mut self.last_voiced[r.clone()],
            last_silenced: &mut self.last_silenced[r.clone()],
            seat_generation: &mut self.seat_generation[r.clone()],
            attention: &self.attention[r],
        };
        let mut out = Out::default();
        f(&ctx, &mut self.teams[j], &mut people, &mut out);
        self.counts.add(&out.counts);
        self.central.queue.extend(out.central);
        self.platform.queue.extend(out.platform);
    }

    /// Chunks of consecutive teams: (teams, employees) ranges.
    fn chunks(&self) -> Vec<(Range<usize>, Range<usize>)> {
        let mut out = Vec::new();
        let (mut first_team, mut first_emp) = (0, 0);
        for (j, t) in self.teams.iter().enumerate() {
            let end = t.end as usize;
            if end - first_emp >= CHUNK_EMPLOYEES || j + 1 == self.teams.len() {
                out.push((first_team..j + 1, first_emp..end));
                first_team = j + 1;
                first_emp = end;
            }
        }
        out
    }

    /// Runs `f` on every chunk (in parallel when there are several) and
    /// merges what the chunks add, in chunk order.
    fn for_chunks<F>(&mut self, f: F)
    where
        F: Fn(&Ctx<'_>, usize, &mut [Team], &mut People<'_>, &mut Out) + Sync,
    {
        let chunks = self.chunks();
        let team_sizes: Vec<usize> = chunks.iter().map(|c| c.0.len()).collect();
        let emp_sizes: Vec<usize> = chunks.iter().map(|c| c.1.len()).collect();
        let ctx = Ctx {
            p: &self.p,
            rates: &self.rates,
            live: &self.live,
            dims: self.dims,
            reality: self.reality,
            clock: self.clock as u32,
            partner_offsets: &self.partner_offsets,
            partner_of: &self.partner_of,
            partners: &self.partners,
        };
        let teams = split(&mut self.teams, &team_sizes);
        let mut psi = split(&mut self.psi, &emp_sizes).into_iter();
        let mut autonomy = split(&mut self.autonomy, &emp_sizes).into_iter();
        let mut creativity = split(&mut self.creativity, &emp_sizes).into_iter();
        let mut motivation = split(&mut self.motivation, &emp_sizes).into_iter();
        let mut motivation_base = split(&mut self.motivation_base, &emp_sizes).into_iter();
        let mut pressure = split(&mut self.pressure, &emp_sizes).into_iter();
        let mut habit = split(&mut self.habit, &emp_sizes).into_iter();
        let mut disposition = split(&mut self.disposition, &emp_sizes).into_iter();
        let mut perf_z = split(&mut self.perf_z, &emp_sizes).into_iter();
        let mut beliefs = split(&mut self.beliefs, &emp_sizes).into_iter();
        let mut last_voiced = split(&mut self.last_voiced, &emp_sizes).into_iter();
        let mut last_silenced = split(&mut self.last_silenced, &emp_sizes).into_iter();
        let mut seat_generation = split(&mut self.seat_generation, &emp_sizes).into_iter();
        let mut attention = split_ref(&self.attention, &emp_sizes).into_iter();
        let mut work: Vec<(usize, &mut [Team], People<'_>, Out)> = Vec::with_capacity(chunks.len());
        for ((ts, es), teams) in chunks.iter().zip(teams) {
            let people = People {
                first: es.start,
                psi: psi.next().unwrap_or_default(),
                autonomy: autonomy.next().unwrap_or_default(),
                creativity: creativity.next().unwrap_or_default(),
                motivation: motivation.next().unwrap_or_default(),
                motivation_base: motivation_base.next().unwrap_or_default(),
                pressure: pressure.next().unwrap_or_default(),
                habit: habit.next().unwrap_or_default(),
                disposition: disposition.next().unwrap_or_default(),
                perf_z: perf_z.next().unwrap_or_default(),
                beliefs: beliefs.next().unwrap_or_default(),
                last_voiced: last_voiced.next().unwrap_or_default(),
                last_silenced: last_silenced.next().unwrap_or_default(),
                seat_generation: seat_generation.next().unwrap_or_default(),
                attention: attention.next().unwrap_or_default(),
            };
            work.push((ts.start, teams, people, Out::default()));
        }
        if work.len() == 1 {
            let (first_team, teams, people, out) = &mut work[0];
            f(&ctx, *first_team, teams, people, out);
        } else {
            work.par_iter_mut()
                .for_each(|(first_team, teams, people, out)| {
                    f(&ctx, *first_team, teams, people, out)
                });
        }
        let outs: Vec<Out> = work.into_iter().map(|w| w.3).collect();
        for out in outs {
            self.counts.add(&out.counts);
            self.central.queue.extend(out.central);
            self.platform.queue.extend(out.platform);
        }
    }

    /// Team statistics, then ideas generated and voiced, for every team.
    pub(super) fn generate_pass(&mut self) {
        let keys = StepKey::new(self.seed, GENERATE, self.clock);
        self.for_chunks(|ctx, first_team, teams, people, out| {
            for (k, team) in teams.iter_mut().enumerate() {
                let j = first_team + k;
                let r = (team.start as usize - people.first)..(team.end as usize - people.first);
                team_stats(ctx, team, people, r.clone());
                generate(ctx, j, team, people, r, &mut keys.block(j as u64), out);
            }
        });
    }

    /// Socialisation, partner learning, climate and turnover, for every
    /// team.
    pub(super) fn settle_pass(&mut self) {
        let socialise = StepKey::new(self.seed, SOCIALISE, self.clock);
        let partners = StepKey::new(self.seed, PARTNERS, self.clock);
        let turnover = StepKey::new(self.seed, TURNOVER, self.clock);
        self.for_chunks(|ctx, first_team, teams, people, out| {
            for (k, team) in teams.iter_mut().enumerate() {
                let j = first_team + k;
                let r = (team.start as usize - people.first)..(team.end as usize - people.first);
                learn(ctx, team, people, r.clone(), &mut socialise.block(j as u64));
                if !ctx.partners.is_empty() {
                    learn_from_partners(ctx, people, r.clone(), &mut partners.block(j as u64));
                }
                climate(ctx, team, people, r.clone());
                if ctx.live.turnover > 0.0 {
                    quit(ctx, team, people, r, &mut turnover.block(j as u64), out);
                }
            }
        });
    }
}

/// Team means of psychological safety and performance (perf_i =
/// sum_d b_id r_d / m), and each employee's performance standardised
/// within the team (docs/model.md §3.4.0).
fn team_stats(ctx: &Ctx<'_>, t: &mut Team, people: &mut People<'_>, r: Range<usize>) {
    let n = r.len() as f64;
    let psi: f64 = people.psi[r.clone()].iter().map(|&x| f64::from(x)).sum();
    t.psi_mean = psi / n;
    let (mut s, mut s2) = (0.0, 0.0);
    for b in &people.beliefs[r.clone()] {
        let x = f64::from(b.score(ctx.reality));
        s += x;
        s2 += x * x;
    }
    t.perf_mean = s / n;
    t.perf_sd = if n > 1.0 {
        ((s2 - s * s / n) / (n - 1.0)).max(0.0).sqrt()
    } else {
        0.0
    };
    for i in r {
        let x = f64::from(people.beliefs[i].score(ctx.reality));
        people.perf_z[i] = if t.perf_sd > 0.0 {
            ((x - t.perf_mean) / t.perf_sd) as f32
        } else {
            0.0
        };
    }
}

/// Phases 1-2: ideas are generated (Poisson) and voiced or kept silent.
fn generate(
    ctx: &Ctx<'_>,
    j: usize,
    t: &mut Team,
    people: &mut People<'_>,
    r: Range<usize>,
    rng: &mut crate::rng::Stream,
    out: &mut Out,
) {
    let p = ctx.p;
    let (o, d_lead, code, mods) = (t.open.openness, t.open.delegation, t.code, t.mods);
    let leader_view = people.beliefs[r.start];
    let h_lead = (0.5 + d_lead) / (0.5 + p.delegation_ref);
    let rewards = mods.rewards;
    for i in r {
        let attention = f64::from(people.attention[i]);
        let pressure =
            (f64::from(people.pressure[i]) * mods.pressure_mul + mods.pressure_add).clamp(0.0, 1.0);
        let lambda = ctx.rates.ideas_per_step
            * mods.generation
            * f64::from(people.creativity[i])
            * (f64::from(people.motivation[i]) / p.motivation_ref)
            * ((0.5 + f64::from(people.autonomy[i])) / (0.5 + p.autonomy_ref))
            * h_lead
            * (1.0 - p.time_pressure_effect * pressure)
            * (1.0 - attention);
        let lambda = if lambda > MAX_IDEAS_PER_STEP {
            MAX_IDEAS_PER_STEP
        } else {
            lambda
        };
        let ideas = poisson(rng, lambda);
        if ideas == 0 {
            continue;
        }
        let b = people.beliefs[i];
        let psi = f64::from(people.psi[i]);
        let z = f64::from(people.perf_z[i]);
        let habit = f64::from(people.habit[i]);
        let logit = p.beta0
            + p.beta_psi * psi
            + p.beta_open * o
            + p.beta_perf * z
            + p.beta_x * o * z
            + p.beta_habit * habit
            + rewards * (p.rewards_voice * (1.0 - habit) + p.rewards_quality * z);
        let live = ctx.live;
        // The platform is anonymous and open to all: an employee posts an
        // idea there first (habitual suggesters most), and voices to the
        // leader what they do not post.
        let platform = if live.platform {
            logistic(
                live.platform_beta0
                    + live.platform_beta_psi * psi
                    + p.beta_habit * habit
                    + rewards * p.rewards_voice * (1.0 - habit),
            )
        } else {
            0.0
        };
        // Dimensions where the employee holds a view that differs from the
        // team code.
        let own = b.nz & !(code.nz & !(b.pos ^ code.pos));
        for _ in 0..ideas {
            out.counts.generated += 1;
            let explore = own == 0 || rng.random_bool(p.epsilon);
            let (dim, plus) = if explore {
                let d = rng.random_range(0..ctx.dims.m());
                let plus = match code.get(d) {
                    0 => rng.random_bool(0.5),
                    v => v < 0,
                };
                (d, plus)
            } else {
                let d = knowledge::nth_set_bit(own, rng.random_range(0..own.count_ones()));
                (d, b.pos >> d & 1 == 1)
            };
            let good = (ctx.reality >> dim & 1 == 1) == plus;
            // Safe voice: where speaking up is unsafe, employees voice the
            // ideas their leader agrees with and keep the others (Morrison
            // 2014; Detert & Edmondson 2011).
            let agree = match leader_view.get(dim) {
                0 => 0.0,
                v if (v > 0) == plus => 1.0,
                _ => -1.0,
            };
            let voice = logistic(logit + p.beta_align * (1.0 - psi) * agree);
            let channel = if platform > 0.0 && rng.random::<f64>() < platform {
                Channel::Platform
            } else if rng.random::<f64>() < voice {
                Channel::Voice
            } else {
                Channel::Silence
            };
            submit(ctx, j, t, people, i, dim, plus, good, channel, out);
        }
    }
}

/// Routes one generated idea: voiced to the team's reviewer (or the central
/// one), submitted on the platform, put in the session queue, or kept
/// silent; updates the counts, participation windows and voice habit.
/// `i` is the employee's index within the chunk.
#[allow(clippy::too_many_arguments)]
pub(super) fn submit(
    ctx: &Ctx<'_>,
    j: usize,
    t: &mut Team,
    people: &mut People<'_>,
    i: usize,
    dim: u32,
    plus: bool,
    good: bool,
    channel: Channel,
    out: &mut Out,
) {
    let now = ctx.clock;
    let mut idea = Idea {
        proposer: (people.first + i) as u32,
        team: j as u32,
        voiced_at: now,
        dim: dim as u8,
        plus,
        platform: false,
        generation: people.seat_generation[i],
    };
    match channel {
        Channel::Silence => {
            out.counts.silenced += 1;
            people.last_silenced[i] = now;
            return;
        }
        Channel::Voice if ctx.live.central => out.central.push(idea),
        Channel::Voice => t.inbox.queue.push(idea),
        Channel::Session => t.session.queue.push(idea),
        Channel::Platform => {
            idea.platform = true;
            out.platform.push(idea);
            out.counts.platform += 1;
        }
    }
    out.counts.voiced += 1;
    out.counts.voiced_good += u64::from(good);
    t.voiced += 1;
    people.last_voiced[i] = now;
    // Speaking up on one's own builds the habit; an idea given in a
    // facilitated session does not.
    if channel != Channel::Session {
        people.habit[i] += (ctx.p.habit_gain * (1.0 - f64::from(people.habit[i]))) as f32;
    }
}

/// Phase 6: employees socialise toward their team code at the rate
/// p1_i = p1 (0.5 + K) (1.5 - psi_i) (1.5 - a_i) / 1.125 per year and
/// differing dimension (a rate: the formula exceeds 1 for high control and
/// low safety, so it cannot be a probability). Events are rare each week,
/// so they are drawn by thinning along the team's (employee, differing
/// dimension) pairs: candidates at the team's largest rate (psi = a = 0),
/// each kept with chance p1_i / p1_max = (1.5 - psi_i)(1.5 - a_i) / 2.25.
fn learn(
    ctx: &Ctx<'_>,
    t: &Team,
    people: &mut People<'_>,
    r: Range<usize>,
    rng: &mut crate::rng::Stream,
) {
    let code = t.code;
    let h_max = ctx.p.p1 / 1.125 * (0.5 + t.close.control) * 2.25 * ctx.rates.dt;
    if h_max <= 0.0 {
        return;
    }
    let beliefs = &mut people.beliefs[r.clone()];
    let psi = &people.psi[r.clone()];
    let autonomy = &people.autonomy[r];
    let mut next = rng.sample::<f64, _>(rand_distr::Exp1) / h_max;
    let mut start = 0.0;
    for ((b, &psi), &a) in beliefs.iter_mut().zip(psi).zip(autonomy) {
        let candidates = b.differs_from_code(code);
        let end = start + f64::from(candidates.count_ones());
        let mut sel = 0u64;
        while next < end {
            let k = (next - start) as u32;
            let keep = (1.5 - f64::from(psi)) * (1.5 - f64::from(a)) / 2.25;
            if rng.random::<f64>() < keep {
                sel |= 1 << knowledge::nth_set_bit(candidates, k);
            }
            next += rng.sample::<f64, _>(rand_distr::Exp1) / h_max;
        }
        if sel != 0 {
            b.step_toward(code, sel);
        }
        start = end;
    }
}

/// Each partner tie copies the partner's belief on a random dimension at
/// the partner's rate.
fn learn_from_partners(
    ctx: &Ctx<'_>,
    people: &mut People<'_>,
    r: Range<usize>,
    rng: &mut crate::rng::Stream,
) {
    for i in r {
        let g = people.first + i;
        for e in ctx.partner_offsets[g]..ctx.partner_offsets[g + 1] {
            let partner = ctx.partners[ctx.partner_of[e as usize] as usize];
            if rand::distr::Distribution::sample(&partner.copy, rng) {
                let d = rng.random_range(0..ctx.dims.m());
                people.beliefs[i].set(d, partner.beliefs.get(d));
            }
        }
    }
}

/// Phase 7: psychological safety moves toward its target
/// psi* = .25 O + .25 F + .2 S + .2 Psi_j + .1 a_i + e_i; motivation returns
/// to its baseline; voice habits fade.
fn climate(ctx: &Ctx<'_>, t: &Team, people: &mut People<'_>, r: Range<usize>) {
    let kappa = ctx.rates.kappa;
    let mk = ctx.rates.motivation_kappa as f32;
    let keep = ctx.rates.habit_keep;
    let s = t.open;
    let base = 0.25 * s.openness
        + 0.25 * s.failure_tolerance
        + 0.2 * s.support
        + 0.2 * t.psi_mean
        + t.mods.psi_boost;
    for i in r {
        let target = base + 0.1 * f64::from(people.autonomy[i]) + f64::from(people.disposition[i]);
        let psi = f64::from(people.psi[i]);
        people.psi[i] = (psi + kappa * (target - psi)).clamp(0.0, 1.0) as f32;
        let mu = people.motivation[i];
        people.motivation[i] = (mu + mk * (people.motivation_base[i] - mu)).clamp(0.0, 1.0);
        people.habit[i] *= keep;
    }
}

/// Phase 8: each employee quits at the hazard
/// -ln(1 - rate) exp(effect (motivation_ref - motivation)) per year; a
/// newcomer takes the place with random beliefs (March's p3), baseline
/// motivation and psychological safety near the team's. Quits are drawn by
/// thinning: candidate events at the largest possible hazard (that of
/// motivation 0), each kept with chance exp(-effect x motivation).
fn quit(
    ctx: &Ctx<'_>,
    t: &Team,
    people: &mut People<'_>,
    r: Range<usize>,
    rng: &mut crate::rng::Stream,
    out: &mut Out,
) {
    let p = ctx.p;
    let base = -(-ctx.live.turnover.min(1.0 - 1e-12)).ln_1p();
    let h_max = base * ctx.rates.dt * (p.turnover_motivation * p.motivation_ref).exp();
    let within_sd = p.psi_sd * (1.0 - p.psi_icc).sqrt();
    let team_psi = t.psi_mean;
    let size = r.len() as f64;
    let mut x = 0.0;
    let mut last_quit = usize::MAX;
    loop {
        x += rng.sample::<f64, _>(rand_distr::Exp1) / h_max;
        if x >= size {
            break;
        }
        let i = r.start + x as usize;
        let keep = (-p.turnover_motivation * f64::from(people.motivation[i])).exp();
        if i == last_quit || !rng.random_bool(keep.min(1.0)) {
            continue;
        }
        last_quit = i;
        out.counts.leavers += 1;
        people.beliefs[i] = Ternary::uniform(rng, ctx.dims);
        let psi = dist::unit(rng, p.beta_dist, team_psi, within_sd);
        people.psi[i] = psi as f32;
        people.disposition[i] = (psi - team_psi) as f32;
        people.autonomy[i] = dist::unit(rng, p.beta_dist, p.autonomy_mean, p.autonomy_sd) as f32;
        people.creativity[i] = dist::creativity(rng, p.creativity_sigma) as f32;
        let mu = dist::unit(rng, p.beta_dist, p.motivation_mean, p.motivation_sd) as f32;
        people.motivation[i] = mu;
        people.motivation_base[i] = mu;
        people.pressure[i] = dist::unit(rng, p.beta_dist, p.pressure_mean, p.pressure_sd) as f32;
        people.habit[i] = 0.0;
        people.last_voiced[i] = 0;
        people.last_silenced[i] = 0;
        people.seat_generation[i] = people.seat_generation[i].wrapping_add(1);
    }
}
