//! stub
pub struct SqlStore;
