pub mod account;
pub mod admin;
pub mod auth;
pub mod bank;
pub mod ce;
pub mod exams;
pub mod home;
pub mod programs;
