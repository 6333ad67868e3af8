//! The handlers, one file per area. Each documents itself for the OpenAPI document.

pub mod backups;
pub mod buckets;
pub mod edit;
pub mod index;
pub mod jobs;
pub mod objects;
pub mod preferences;
pub mod profiles;
pub mod replication;
pub mod rules;
pub mod settings;
pub mod shares;
pub mod store;
pub mod transfers;
pub mod versions;
