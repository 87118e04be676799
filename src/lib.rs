//! Portcullis: a self-hosted customer account portal.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod service;
pub mod store;
