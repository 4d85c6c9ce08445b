pub mod origin_check;
pub mod trusted_origins;
