//! The `Store` conformance suite: the contract in `Store`'s doc, checked the same way
//! on every implementation — the folder-backed `local` store, Garage and moto.
//!
//! Each check is one function over a [`Fixture`]; `conformance!` instantiates all of
//! them per backend, so a failure names both the check and the backend.

mod common;

use common::{Backend, Fixture};

macro_rules! conformance {
    ($backend_mod:ident, $backend:expr, $($check:ident),+ $(,)?) => {
        mod $backend_mod {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let fixture = Fixture::new($backend, stringify!($check)).await;
                    common::conformance::$check(fixture).await;
                }
            )+
        }
    };
}

macro_rules! all_checks {
    ($backend_mod:ident, $backend:expr) => {
        conformance!(
            $backend_mod,
            $backend,
            odd_keys_round_trip,
            delimiter_and_pagination,
            ranges_and_metadata,
            multipart,
            part_copy,
            missing_things,
            buckets,
            delete_many,
            presign,
            upload_id_survives_new_client,
        );
    };
}

all_checks!(local, Backend::Local);
all_checks!(garage, Backend::Garage);
all_checks!(moto, Backend::Moto);
