//! The built-in job kinds. Each is registered with the engine by its builder; later
//! domains (backups, replication, mirrors, plugin updates) bring their own.

pub mod transfer;
