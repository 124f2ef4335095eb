//! Integration tests that start real simulators and talk to them over HTTPS.
//! They are one test binary so that the shared helpers link once.

mod binary;
mod control;
mod faults;
mod gateway;
mod lifecycle;
mod support;
