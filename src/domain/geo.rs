//! Distances on the Earth's surface.

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// Degrees of latitude and longitude that cover at least `metres` around `lat`, for a
/// bounding-box prefilter before the exact distance.
pub fn degrees_around(lat: f64, metres: f64) -> (f64, f64) {
    let dlat = metres / 111_000.0;
    let dlon = metres / (111_000.0 * lat.to_radians().cos().max(0.01));
    (dlat, dlon)
}

pub fn valid_lat_lon(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // Hà Nội (Hoàn Kiếm) to Hồ Chí Minh City (Bến Thành): about 1,140 km.
        let d = distance_m(21.0285, 105.8542, 10.7725, 106.6980);
        assert!((1_130_000.0..1_150_000.0).contains(&d), "{d}");
        assert!(distance_m(10.0, 106.0, 10.0, 106.0).abs() < 1e-6);
        // One degree of latitude is about 111 km.
        let d = distance_m(10.0, 106.0, 11.0, 106.0);
        assert!((110_000.0..112_500.0).contains(&d), "{d}");
    }

    #[test]
    fn bounding_boxes_cover_the_radius() {
        let (dlat, dlon) = degrees_around(21.0, 50_000.0);
        assert!(distance_m(21.0, 105.0, 21.0 + dlat, 105.0) >= 49_000.0);
        assert!(distance_m(21.0, 105.0, 21.0, 105.0 + dlon) >= 49_000.0);
        assert!(!valid_lat_lon(91.0, 0.0) && !valid_lat_lon(f64::NAN, 0.0));
    }
}
