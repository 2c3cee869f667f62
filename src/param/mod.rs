//! The parameter vocabulary shared by the models and the scenario reader:
//! fields ([`Field`], [`Kind`], [`Bound`], [`Default`]), values
//! ([`Value`]), resolved parameter sets ([`ParamSet`]), cross-field checks
//! ([`Issue`], [`Check`]), metric definitions ([`MetricDef`]) and repeated
//! tables ([`RepeatedTable`]).
//!
//! A leaf: it imports nothing else of the crate (tests/layers.rs checks),
//! so both `model` and `scenario` can depend on it without depending on
//! each other.

pub mod check;
pub mod field;
pub mod metric;
pub mod set;
pub mod table;
pub mod value;

pub use check::{Check, CheckFn, Issue};
pub use field::{Bound, Default, Field, Kind};
pub use metric::{Agg, Fmt, MetricDef};
pub use set::ParamSet;
pub use table::RepeatedTable;
pub use value::Value;
