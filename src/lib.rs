//! Portcullis: a self-hosted customer account portal.

pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod mail;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
