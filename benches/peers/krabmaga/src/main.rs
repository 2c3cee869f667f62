//! Peer benchmark: Bass diffusion on a Watts–Strogatz small world, written
//! against the krABMaga agent-based modelling framework.
//!
//! * `BassState` implements krABMaga's `State`; the social network is a
//!   krABMaga `Network<u32, String>` field (undirected, nodes = agent ids).
//! * Each agent is an `Adopter` implementing krABMaga's `Agent` and is put
//!   on krABMaga's `Schedule` with `schedule_repeating`, so the scheduler
//!   calls `Adopter::step` once per agent per step.
//! * Updates are synchronous: agents read the adoption vector as it was at
//!   the start of the step (`prev`) and write into `next`; the state swaps
//!   the two buffers in `before_step`, the same read/write double-buffering
//!   that krABMaga's own fields use.
//!
//! CLI: `--agents N --steps T --seed S [--adjacency network|plain]`.
//! `--adjacency plain` keeps the same scheduler/agents but reads neighbours
//! from a flat CSR array instead of krABMaga's `Network` field, to separate
//! field cost from scheduler cost.

use std::any::Any;
use std::time::Instant;

use krabmaga::engine::agent::Agent;
use krabmaga::engine::fields::field::Field;
use krabmaga::engine::fields::network::{EdgeOptions, Network};
use krabmaga::engine::schedule::Schedule;
use krabmaga::engine::state::State;
use krabmaga::rand::{Rng, SeedableRng};
use krabmaga::rand_pcg::Pcg64;

const DEGREE: usize = 10; // ring lattice degree k (k/2 neighbours per side)
const REWIRE_P: f64 = 0.1;
const DT: f64 = 0.1; // years per step
const P_INNOV: f64 = 0.03;
const Q_IMIT: f64 = 0.38;

#[derive(Clone, Copy, PartialEq)]
enum Adjacency {
    Network,
    Plain,
}

struct BassState {
    n: usize,
    seed: u64,
    adjacency: Adjacency,
    /// Undirected edge list produced by the Watts–Strogatz generator.
    ws_edges: Vec<(u32, u32)>,
    /// krABMaga network field holding the topology.
    network: Network<u32, String>,
    /// Flat CSR adjacency (only used with `--adjacency plain`).
    csr_start: Vec<u32>,
    csr_nbrs: Vec<u32>,
    /// Adoption state at the start of the current step (read buffer).
    prev: Vec<bool>,
    /// Adoption state being written during the current step.
    next: Vec<bool>,
    rng: Pcg64,
}

impl BassState {
    fn new(n: usize, seed: u64, adjacency: Adjacency) -> Self {
        BassState {
            n,
            seed,
            adjacency,
            ws_edges: Vec::new(),
            network: Network::new(false),
            csr_start: Vec::new(),
            csr_nbrs: Vec::new(),
            prev: Vec::new(),
            next: Vec::new(),
            rng: Pcg64::seed_from_u64(seed),
        }
    }

    fn adopted_fraction(&self) -> f64 {
        // After the last step `next` holds the newest states.
        self.next.iter().filter(|&&a| a).count() as f64 / self.n as f64
    }
}

/// Watts–Strogatz small world: ring lattice of degree `k`, each lattice edge
/// (i, i+j) rewired with probability `beta` to (i, w) with w uniform, w != i
/// and (i, w) not already an edge.
fn watts_strogatz(n: usize, k: usize, beta: f64, rng: &mut Pcg64) -> Vec<(u32, u32)> {
    assert!(k % 2 == 0 && k < n, "need even k < n");
    let half = k / 2;
    let mut adj: Vec<Vec<u32>> = vec![Vec::with_capacity(k + 4); n];
    for i in 0..n {
        for j in 1..=half {
            let t = (i + j) % n;
            adj[i].push(t as u32);
            adj[t].push(i as u32);
        }
    }
    for j in 1..=half {
        for i in 0..n {
            if rng.random::<f64>() >= beta {
                continue;
            }
            let old = ((i + j) % n) as u32;
            if adj[i].len() >= n - 1 {
                continue; // already connected to everyone
            }
            let w = loop {
                let w = rng.random_range(0..n as u32);
                if w as usize != i && !adj[i].contains(&w) {
                    break w;
                }
            };
            // remove (i, old), add (i, w)
            let pos = adj[i].iter().position(|&x| x == old).unwrap();
            adj[i].swap_remove(pos);
            let pos = adj[old as usize].iter().position(|&x| x == i as u32).unwrap();
            adj[old as usize].swap_remove(pos);
            adj[i].push(w);
            adj[w as usize].push(i as u32);
        }
    }
    let mut edges = Vec::with_capacity(n * half);
    for (u, nb) in adj.iter().enumerate() {
        for &v in nb {
            if (u as u32) < v {
                edges.push((u as u32, v));
            }
        }
    }
    edges
}

impl State for BassState {
    /// Builds the network and schedules one `Adopter` per node.
    fn init(&mut self, schedule: &mut Schedule) {
        self.rng = Pcg64::seed_from_u64(self.seed);
        self.ws_edges = watts_strogatz(self.n, DEGREE, REWIRE_P, &mut self.rng);

        match self.adjacency {
            Adjacency::Network => {
                self.network = Network::new(false);
                for i in 0..self.n as u32 {
                    self.network.add_node(i);
                }
                for &(u, v) in &self.ws_edges {
                    self.network.add_edge(u, v, EdgeOptions::Simple);
                }
                // Publish the write buffer to the read buffer once; the
                // topology is static so it is never updated again.
                self.network.update();
            }
            Adjacency::Plain => {
                let mut deg = vec![0u32; self.n + 1];
                for &(u, v) in &self.ws_edges {
                    deg[u as usize + 1] += 1;
                    deg[v as usize + 1] += 1;
                }
                for i in 0..self.n {
                    deg[i + 1] += deg[i];
                }
                let mut fill = deg.clone();
                let mut nbrs = vec![0u32; deg[self.n] as usize];
                for &(u, v) in &self.ws_edges {
                    nbrs[fill[u as usize] as usize] = v;
                    fill[u as usize] += 1;
                    nbrs[fill[v as usize] as usize] = u;
                    fill[v as usize] += 1;
                }
                self.csr_start = deg;
                self.csr_nbrs = nbrs;
            }
        }

        self.prev = vec![false; self.n];
        self.next = vec![false; self.n];
        for id in 0..self.n as u32 {
            schedule.schedule_repeating(Box::new(Adopter { id }), 0.0, 0);
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_state_mut(&mut self) -> &mut dyn State {
        self
    }
    fn as_state(&self) -> &dyn State {
        self
    }
    fn reset(&mut self) {
        self.prev.clear();
        self.next.clear();
    }
    fn update(&mut self, _step: u64) {}

    /// Synchronous update: the states written during the last step become
    /// the read buffer; the write buffer starts as a copy of it.
    fn before_step(&mut self, _schedule: &mut Schedule) {
        std::mem::swap(&mut self.prev, &mut self.next);
        self.next.copy_from_slice(&self.prev);
    }
}

#[derive(Clone)]
struct Adopter {
    id: u32,
}

impl Agent for Adopter {
    fn step(&mut self, state: &mut dyn State) {
        let st = state
            .as_any_mut()
            .downcast_mut::<BassState>()
            .expect("state is BassState");
        let i = self.id as usize;
        if st.prev[i] {
            return;
        }
        let (adopted, degree) = match st.adjacency {
            Adjacency::Network => {
                let edges = st.network.get_edges(self.id).unwrap_or_default();
                let a = edges.iter().filter(|e| st.prev[e.v as usize]).count();
                (a, edges.len())
            }
            Adjacency::Plain => {
                let s = st.csr_start[i] as usize;
                let e = st.csr_start[i + 1] as usize;
                let a = st.csr_nbrs[s..e]
                    .iter()
                    .filter(|&&v| st.prev[v as usize])
                    .count();
                (a, e - s)
            }
        };
        let social = if degree > 0 {
            Q_IMIT * adopted as f64 / degree as f64
        } else {
            0.0
        };
        let prob = 1.0 - (-(P_INNOV + social) * DT).exp();
        if st.rng.random::<f64>() < prob {
            st.next[i] = true;
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: krabmaga-bass-peer --agents N --steps T --seed S [--adjacency network|plain]");
    std::process::exit(2);
}

fn main() {
    let mut agents: usize = 10_000;
    let mut steps: u64 = 50;
    let mut seed: u64 = 1;
    let mut adjacency = Adjacency::Network;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let val = it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--agents" => agents = val.parse().unwrap_or_else(|_| usage()),
            "--steps" => steps = val.parse().unwrap_or_else(|_| usage()),
            "--seed" => seed = val.parse().unwrap_or_else(|_| usage()),
            "--adjacency" => {
                adjacency = match val.as_str() {
                    "network" => Adjacency::Network,
                    "plain" => Adjacency::Plain,
                    _ => usage(),
                }
            }
            _ => usage(),
        }
    }
    if agents <= DEGREE {
        usage();
    }

    // Same driver loop as krABMaga's `simulate_old!` (without its terminal
    // output): init outside the timed region, then `schedule.step` T times.
    let mut state = BassState::new(agents, seed, adjacency);
    let mut schedule = Schedule::new();
    state.init(&mut schedule);

    let start = Instant::now();
    for _ in 0..steps {
        schedule.step(&mut state);
        if state.end_condition(&mut schedule) {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();

    println!("adoption_fraction={:.6}", state.adopted_fraction());
    println!("peer_seconds={:.6}", secs);
    println!("agent_steps={}", agents as u64 * steps);
}
