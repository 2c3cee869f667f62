//! The Bass (1969) diffusion model as agents on a network (docs/model.md §1).
//!
//! Each step of length `dt` years, every non-adopter i adopts with
//! probability `1 - exp(-(p + q * A_i / K_i) * dt)`, where A_i is the number
//! of adopted neighbours and K_i the degree (Bass 1969, "A new product growth
//! for model consumer durables", Management Science 15; the agent form on
//! networks follows Fibich & Gibori 2010, "Aggregate diffusion dynamics in
//! agent-based models with a spatial structure", Operations Research 58).
//! Updates are synchronous: every decision in a step uses the state at its
//! start. On the complete graph A_i / K_i = A / (N - 1) for a non-adopter,
//! from one global count; the graph is never materialised.
//!
//! An agent with no ties (possible in an Erdős–Rényi graph) feels no social
//! influence: its hazard is p alone.
//!
//! How a step is drawn (exact in distribution, at a cost per event rather
//! than per agent). Every selection below uses geometric skipping: to select
//! each item of a list independently with probability `1 - exp(-r)`, draw
//! the number of items passed over before the next selected one as
//! floor(E / r) with E ~ Exp(1), which is geometric with exactly that
//! success probability (Devroye 1986, "Non-Uniform Random Variate
//! Generation", ch. X.2; Batagelj & Brandes 2005 use it for random graphs).
//! - An agent with no adopted neighbour ("quiet") adopts with probability
//!   `1 - exp(-p dt)`, the same for all of them: the block's agents are
//!   skipped through at rate `p dt`, and a selected agent who is not quiet
//!   is passed over.
//! - An agent with at least one adopted neighbour ("exposed") is in its
//!   block's list of exposed agents. Its hazard `p + q a / k` is at most
//!   `p + q`, so the list is skipped through at rate `(p + q) dt` and a
//!   selected agent adopts with probability
//!   `(1 - exp(-(p + q a/k) dt)) / (1 - exp(-(p + q) dt))` (thinning; Lewis
//!   & Shedler 1979): overall exactly its own probability. These acceptance
//!   probabilities are tabulated once per run over the (degree, adopted
//!   neighbours) pairs the network has, as integer thresholds; each agent
//!   keeps a cursor into the table that moves one entry on when a neighbour
//!   adopts. (`u < prob` for `rand`'s uniform `u = (x >> 11) / 2^53` of a
//!   64-bit draw `x` holds exactly when `x >> 11 < ceil(prob * 2^53)`.)
//! - On the complete graph every non-adopter has the same probability: the
//!   block is skipped through at rate `(p + q A / (N - 1)) dt`.
//!
//! A step therefore costs about `agents x p dt + exposed x (p + q) dt`
//! draws plus degree work per new adopter, instead of one draw per agent.
//!
//! Random draws come from the stream keyed (run seed, ADOPT, step, block of
//! `BLOCK` agents): blocks are independent within a step, so they run in
//! parallel with the same result on any number of threads; new adopters are
//! applied in block order at the end of the step.

mod draw;
mod params;

pub use params::{
    BassParams, FIELDS, MAX_TIES, METRICS, NETWORKS, NetworkKind, checks, memory_per_run,
};

use crate::model::Simulation;
use crate::model::network::{self, Csr};
use crate::param::value::round_sig12;
use crate::rng::{Purpose, SETUP, StepKey, skip_through, stream};
use draw::{ADOPTED, NetworkStep, PREFETCH_AHEAD, for_each_block, prefetch, threshold_table};

/// Agents per random-stream block (part of the output format: changing it
/// changes every result).
pub const BLOCK: usize = 4096;

/// Blocks decided by one parallel task at least (a block's step is often a
/// few microseconds).
const MIN_BLOCKS_PER_TASK: usize = 4;

/// Runs with fewer blocks than this decide them on one thread: handing work
/// to other threads costs more than a step of a few hundred thousand agents
/// (which is tens of microseconds). Either way the result is the same.
const PARALLEL_BLOCKS: usize = 64;

const NETWORK: Purpose = Purpose(0xB455_0001);
const SEEDING: Purpose = Purpose(0xB455_0002);
const ADOPT: Purpose = Purpose(0xB455_0003);

/// One run of the Bass model.
#[derive(Debug)]
pub struct Bass {
    seed: u64,
    p: f64,
    q: f64,
    dt: f64,
    n: usize,
    graph: Option<Csr>,
    /// Whether each agent has adopted (complete graph only; on a network
    /// the cursor says it).
    adopted: Vec<bool>,
    /// Each agent's entry in `table` (CSR networks only): the entry for its
    /// degree k and a adopted neighbours, at `start(k) + a`; entry 0 once it
    /// has adopted.
    cursor: Vec<u32>,
    /// Acceptance thresholds (see `draw::threshold`) of an exposed agent
    /// selected at the largest hazard, by (degree, adopted neighbours), for
    /// the degrees the network has; entry 0 (adopted) is 0.
    table: Vec<u64>,
    /// Per table entry: whether it is an entry for no adopted neighbours.
    quiet: Vec<bool>,
    /// Per block: its exposed agents (an adopted neighbour, not adopted).
    exposed: Vec<Vec<u32>>,
    /// Each exposed agent's place in its block's exposed list.
    place: Vec<u32>,
    /// Per block: its adopters of the current step (reused every step).
    found: Vec<Vec<u32>>,
    adopters: usize,
    new_last_step: usize,
    step: u64,
    /// Adopters of the current step, applied together at its end.
    fresh: Vec<u32>,
}

impl Bass {
    /// Builds the network and the initial adopters of a run.
    pub fn new(params: &BassParams, run_seed: u64) -> Bass {
        let n = params.agents;
        let mut rng = stream(run_seed, NETWORK, SETUP, 0);
        let graph = match params.network {
            NetworkKind::Complete => None,
            NetworkKind::Ring => Some(network::ring(n, params.degree)),
            NetworkKind::SmallWorld => Some(network::small_world(
                n,
                params.degree,
                params.rewire,
                &mut rng,
            )),
            NetworkKind::Random => Some(network::erdos_renyi(n, params.degree as f64, &mut rng)),
        };
        let (table, quiet, cursor) = match &graph {
            Some(g) => threshold_table(g, params),
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        let blocks = n.div_ceil(BLOCK);
        let mut bass = Bass {
            seed: run_seed,
            p: params.p,
            q: params.q,
            dt: params.dt,
            n,
            adopted: if graph.is_some() {
                Vec::new()
            } else {
                vec![false; n]
            },
            cursor,
            table,
            quiet,
            exposed: if graph.is_some() {
                vec![Vec::new(); blocks]
            } else {
                Vec::new()
            },
            place: if graph.is_some() {
                vec![0; n]
            } else {
                Vec::new()
            },
            found: vec![Vec::new(); blocks],
            graph,
            adopters: 0,
            new_last_step: 0,
            step: 0,
            fresh: Vec::with_capacity(n),
        };
        let mut rng = stream(run_seed, SEEDING, SETUP, 0);
        for i in rand::seq::index::sample(&mut rng, n, params.initial_adopters) {
            bass.fresh.push(i as u32);
        }
        bass.apply_fresh();
        bass
    }

    /// Number of agents who have adopted.
    pub fn adopters(&self) -> usize {
        self.adopters
    }

    /// The network (None for the complete graph).
    pub fn graph(&self) -> Option<&Csr> {
        self.graph.as_ref()
    }

    /// Marks this step's new adopters and moves their neighbours' cursors
    /// one entry on. An adopter leaves its block's exposed list (its cursor
    /// goes to entry 0); a neighbour who had no adopted neighbour joins its
    /// block's list.
    fn apply_fresh(&mut self) {
        match &self.graph {
            Some(g) => {
                for (x, &i) in self.fresh.iter().enumerate() {
                    // Adopters are scattered over the population: ask for
                    // the memory of one a few places ahead while this one is
                    // applied, so that cache misses overlap.
                    if let Some(&ahead) = self.fresh.get(x + PREFETCH_AHEAD) {
                        prefetch(g.neighbours(ahead as usize).as_ptr());
                        prefetch(&self.cursor[ahead as usize]);
                        prefetch(&self.place[ahead as usize]);
                    }
                    let c = self.cursor[i as usize];
                    if !self.quiet[c as usize] {
                        // Exposed: swap it out of its block's list.
                        let list = &mut self.exposed[i as usize / BLOCK];
                        let at = self.place[i as usize] as usize;
                        list.swap_remove(at);
                        if let Some(&moved) = list.get(at) {
                            self.place[moved as usize] = at as u32;
                        }
                    }
                    self.cursor[i as usize] = ADOPTED;
                    for &j in g.neighbours(i as usize) {
                        let c = self.cursor[j as usize];
                        if c != ADOPTED {
                            if self.quiet[c as usize] {
                                let list = &mut self.exposed[j as usize / BLOCK];
                                self.place[j as usize] = list.len() as u32;
                                list.push(j);
                            }
                            self.cursor[j as usize] = c + 1;
                        }
                    }
                }
            }
            None => {
                for &i in &self.fresh {
                    self.adopted[i as usize] = true;
                }
            }
        }
        self.adopters += self.fresh.len();
        self.new_last_step = self.fresh.len();
        self.fresh.clear();
    }
}

impl Simulation for Bass {
    fn observe(&self, out: &mut [f64], _levels: bool) {
        // Rounded so that step 3 of dt = 0.1 reads 0.3, not 0.30000000000000004.
        out[0] = round_sig12(self.step as f64 * self.dt);
        out[1] = self.adopters as f64;
        out[2] = self.adopters as f64 / self.n as f64;
        out[3] = if self.step == 0 {
            0.0
        } else {
            self.new_last_step as f64
        };
    }

    fn step(&mut self, step: u64) {
        self.step = step;
        let n = self.n;
        if self.adopters == n {
            // Nobody is left to adopt: no draws needed (each step has its
            // own streams, so later steps are unaffected).
            self.new_last_step = 0;
            return;
        }
        let key = StepKey::new(self.seed, ADOPT, step);
        let dt = self.dt;
        let mut found = std::mem::take(&mut self.found);
        match &self.graph {
            Some(_) => {
                let net = NetworkStep {
                    innovation: self.p * dt,
                    largest: (self.p + self.q) * dt,
                    cursor: &self.cursor,
                    table: &self.table,
                    quiet: &self.quiet,
                };
                let exposed = &self.exposed;
                for_each_block(&mut found, |b, found| {
                    let start = b * BLOCK;
                    let mut rng = key.block(b as u64);
                    net.decide(&mut rng, start, BLOCK.min(n - start), &exposed[b], found);
                });
            }
            None => {
                let share = if n > 1 {
                    self.adopters as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                let rate = (self.p + self.q * share) * dt;
                let adopted = &self.adopted;
                for_each_block(&mut found, |b, found| {
                    let start = b * BLOCK;
                    let mut rng = key.block(b as u64);
                    skip_through(&mut rng, rate, BLOCK.min(n - start), |_, k| {
                        if !adopted[start + k] {
                            found.push((start + k) as u32);
                        }
                    });
                });
            }
        }
        for f in &found {
            self.fresh.extend_from_slice(f);
        }
        self.found = found;
        self.apply_fresh();
    }
}
