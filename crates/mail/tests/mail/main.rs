//! The mail crate's integration tests, one binary (one link instead of two): the intake
//! path on every backend (`intake`), the lifecycle mail templates (`templates`) and the
//! built-in wording of every notice (`wording`, insta snapshots in `snapshots/`).

mod intake;
mod templates;
mod wording;
