//! Coffer's job engine: every piece of work that runs in the background, for seconds
//! or for hours, is a job of some [`Kind`] run by one [`Engine`].
//!
//! - A **kind** ([`kind`]) names itself, checks its parameters, runs with a
//!   [`RunContext`] (cancellation, progress, the profiles' stores) and says whether it
//!   can pause. Kinds are registered with the engine ([`Registry`]); the engine never
//!   matches on them. Uploads and downloads are the first kinds ([`kinds`]).
//! - A **job** is a definition ([`JobDef`]: kind, params, schedule, enabled) plus its
//!   status; each time it runs it leaves a [`RunRecord`] in its history ([`store`]).
//!   Everything lives in the local database, in trees of its own with a schema version.
//! - **Schedules** ([`schedule`]) are an interval or a cron expression in a time zone.
//!   A slot missed while the agent was stopped fires once; a job never runs twice at
//!   once; limits hold per lane and overall. The clock is injected ([`clock`]), and
//!   [`Engine::tick`] is the scheduler's one step, so tests step time.
//! - **Events** ([`events`]) go out on one bus that the API, the desktop, the tray and
//!   the notifier read; a slow reader loses progress ticks, never a change of state.
//! - **One-off transfers** ([`oneoff`]) that their caller drives (a browser's
//!   streamed upload) show as jobs too, with the same events, but are never saved.
//! - **Alerts** ([`alerts`]): desktop notifications through the [`Notifier`] seam and
//!   an optional webhook per job.
//!
//! The crate knows nothing of HTTP or Tauri: the API, the desktop and the CLI adapt it.

pub mod alerts;
pub mod clock;
#[cfg(feature = "desktop-notify")]
pub mod desktop_notify;
pub mod engine;
pub mod error;
pub mod events;
pub mod kind;
pub mod kinds;
pub mod model;
pub mod oneoff;
pub mod schedule;
pub mod store;
pub mod stores;

pub use alerts::{Notifier, webhook_body};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{Engine, EngineBuilder, NewJob};
pub use error::{JobError, JobsError, Result};
pub use events::{Bus, Event, EventKind, Subscription};
pub use kind::{AfterRestart, Kind, Lane, PrepareEnv, Prepared, Registry, RunContext};
pub use model::{
    JobDef, JobState, JobStatus, JobView, NotifyPolicy, RunRecord, RunResult, Trigger,
};
pub use oneoff::OneOff;
pub use schedule::Schedule;
pub use stores::{SessionStores, StoreWrapper, Stores};
