//! The mail crate's integration tests, one binary (one link instead of two): the door's
//! bounds (`bounds`), delivery to a relay that refuses some recipients (`outbound`), the
//! announcement and relayed replies as a relay gets them (`announce`), the intake
//! path on every backend (`intake`), the lifecycle mail templates (`templates`) and the
//! built-in wording of every notice (`wording`, insta snapshots in `snapshots/`).

mod announce;
mod bounds;
mod intake;
mod outbound;
mod templates;
mod wording;
