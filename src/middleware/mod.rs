pub mod origin_check;
pub mod rate_limit;
pub mod trusted_origins;
