//! Test support for the erlport workspace (unpublished): the bodies of the cargo-fuzz targets
//! in `fuzz/` ([`fuzz`] for the codec, [`port_fuzz`] for the packet layer), which this crate's
//! tests also replay from the committed corpus on stable, and a global allocator that counts
//! allocations ([`counting_alloc`]) for the tests that prove code paths allocate nothing.

pub mod counting_alloc;
pub mod fuzz;
pub mod kv_fuzz;
pub mod port_fuzz;
