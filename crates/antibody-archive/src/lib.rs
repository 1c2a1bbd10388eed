//! Archive expansion (being written).
