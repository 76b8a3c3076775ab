//! Palpate: exam preparation and continuing-education tracking for massage therapists.
//!
//! Layers (data flows down): `web` → `services` → `domain` + `store`; `mail` and `jobs` beside them.

pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod services;
pub mod startup;
pub mod store;
pub mod views;
pub mod web;
