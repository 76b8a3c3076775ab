//! The therapist directory's vocabulary and geography: what a profile may list (techniques,
//! adjunct modalities by state, conditions, populations), where a ZIP code is, how far apart two
//! places are, and which published profiles a search returns, nearest first.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Techniques a therapist may list (code, label).
pub const TECHNIQUES: &[(&str, &str)] = &[
    ("swedish", "Swedish massage"),
    ("deep_tissue", "Deep tissue massage"),
    ("trigger_point", "Trigger point therapy"),
    ("myofascial_release", "Myofascial release"),
    ("sports", "Sports massage"),
    ("neuromuscular", "Neuromuscular therapy"),
    ("lymphatic_drainage", "Manual lymphatic drainage"),
    ("orthopedic", "Orthopedic massage"),
    ("prenatal", "Prenatal massage"),
    ("oncology", "Oncology massage"),
    ("craniosacral", "Craniosacral therapy"),
    ("reflexology", "Reflexology"),
    ("shiatsu", "Shiatsu"),
    ("thai", "Thai massage"),
    ("scar_tissue", "Scar tissue release"),
    (
        "positional_release",
        "Positional release (strain–counterstrain)",
    ),
    ("muscle_energy", "Muscle energy technique"),
    ("active_isolated_stretching", "Active isolated stretching"),
];

/// Adjunct modalities (code, label). Heat and cold are part of massage in every state; the
/// others are offered only where the state's own law names them (see [`modalities_for`]).
pub const MODALITIES: &[(&str, &str)] = &[
    ("heat_cold", "Heat and cold applications"),
    ("hydrotherapy", "Hydrotherapy"),
    ("hot_stone", "Hot stone"),
    ("cupping", "Cupping"),
    ("kinesiology_taping", "Kinesiology taping"),
    ("iastm", "Instrument-assisted soft tissue mobilization"),
    ("electrical_stimulation", "Electrical stimulation"),
    ("ultrasound", "Therapeutic ultrasound"),
    ("aromatherapy", "Aromatherapy"),
    ("body_wraps", "Body wraps and scrubs"),
];

/// The modality every state allows.
pub const UNIVERSAL_MODALITY: &str = "heat_cold";

/// Conditions a therapist may say they work with (code, label).
pub const CONDITIONS: &[(&str, &str)] = &[
    ("low_back_pain", "Low back pain"),
    ("neck_pain", "Neck pain"),
    ("headache", "Tension headache and migraine"),
    ("shoulder", "Shoulder pain and frozen shoulder"),
    ("sciatica", "Sciatica"),
    ("fibromyalgia", "Fibromyalgia"),
    ("tmj", "Jaw pain (TMJ disorders)"),
    ("carpal_tunnel", "Carpal tunnel syndrome"),
    ("plantar_fasciitis", "Plantar fasciitis"),
    ("whiplash", "Whiplash and car-accident injuries"),
    ("sports_injury", "Sports injuries"),
    ("post_surgical", "Recovery after surgery"),
    ("lymphedema", "Lymphedema"),
    ("scar_tissue", "Scar tissue"),
    ("arthritis", "Arthritis"),
    ("chronic_pain", "Chronic pain"),
    ("stress_anxiety", "Stress and anxiety"),
    ("repetitive_strain", "Repetitive strain injuries"),
];

/// Populations a therapist may say they serve (code, label).
pub const POPULATIONS: &[(&str, &str)] = &[
    ("prenatal", "Pregnancy and postpartum"),
    ("oncology", "People with cancer"),
    ("geriatric", "Older adults"),
    ("athletes", "Athletes"),
    ("pediatric", "Children"),
    ("palliative", "Palliative and hospice care"),
    ("veterans", "Veterans"),
];

/// The label of a code from one of the lists above (the code itself never reaches a page).
pub fn label(list: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Search radii offered, in miles.
pub const RADII: &[u32] = &[5, 10, 25, 50, 100];
pub const DEFAULT_RADIUS: u32 = 25;

// ---------- modalities by state ----------

#[derive(Debug, Deserialize)]
struct ScopeFile {
    #[serde(default)]
    states: Vec<StateScope>,
}

/// One state's definition of massage, as read, and the modalities it names.
#[derive(Debug, Clone, Deserialize)]
pub struct StateScope {
    pub state: String,
    pub citation: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub quote: String,
    #[serde(default)]
    pub included: Vec<String>,
    #[serde(default)]
    pub excluded: Vec<String>,
    #[serde(default)]
    pub read_on: String,
}

const SCOPE_JSON: &str = include_str!("../../data/directory/modality_scope.json");

fn scopes() -> &'static BTreeMap<String, StateScope> {
    static SCOPES: OnceLock<BTreeMap<String, StateScope>> = OnceLock::new();
    SCOPES.get_or_init(|| match serde_json::from_str::<ScopeFile>(SCOPE_JSON) {
        Ok(f) => f
            .states
            .into_iter()
            .map(|s| (s.state.to_ascii_uppercase(), s))
            .collect(),
        // A shipped file that does not parse fails the test below; were it to reach a build,
        // the directory would offer heat and cold only, which every state allows.
        Err(_) => BTreeMap::new(),
    })
}

/// Where a state's scope of practice was read, if we have read it.
pub fn scope_of(state: &str) -> Option<&'static StateScope> {
    scopes().get(&state.to_ascii_uppercase())
}

/// The adjunct modalities a therapist practising in `state` may list: heat and cold everywhere,
/// and the others only where that state's own law names them and does not exclude them.
pub fn modalities_for(state: &str) -> Vec<&'static str> {
    let scope = scope_of(state);
    MODALITIES
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| {
            *c == UNIVERSAL_MODALITY
                || scope.is_some_and(|s| {
                    s.included.iter().any(|i| i == c) && !s.excluded.iter().any(|x| x == c)
                })
        })
        .collect()
}

// ---------- geography ----------

const ZCTA_CSV: &str = include_str!("../../data/zcta/zcta_centroids_2021.csv");

/// A point on the earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lng: f64,
}

fn zcta_table() -> &'static Vec<(u32, f32, f32)> {
    static TABLE: OnceLock<Vec<(u32, f32, f32)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<(u32, f32, f32)> = ZCTA_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split(',');
                let zip = f.next()?.parse().ok()?;
                let lat = f.next()?.parse().ok()?;
                let lng = f.next()?.parse().ok()?;
                Some((zip, lat, lng))
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows
    })
}

/// A five-digit ZIP code, or `None` for anything else (ZIP+4 is cut to its first five digits).
pub fn normalize_zip(raw: &str) -> Option<String> {
    let t = raw.trim();
    let five = match t.split_once('-') {
        Some((a, b)) if b.len() == 4 && b.chars().all(|c| c.is_ascii_digit()) => a,
        Some(_) => return None,
        None => t,
    };
    (five.len() == 5 && five.chars().all(|c| c.is_ascii_digit())).then(|| five.to_string())
}

/// The centroid of a ZIP code's tabulation area, if the Census has one for it.
pub fn zip_centroid(zip: &str) -> Option<Point> {
    let key: u32 = normalize_zip(zip)?.parse().ok()?;
    let table = zcta_table();
    let i = table.binary_search_by_key(&key, |r| r.0).ok()?;
    let (_, lat, lng) = table[i];
    Some(Point {
        lat: lat as f64,
        lng: lng as f64,
    })
}

/// How many ZIP codes the shipped table places.
pub fn zip_count() -> usize {
    zcta_table().len()
}

const EARTH_RADIUS_MILES: f64 = 3958.7613;

/// Great-circle distance in miles (haversine).
pub fn miles(a: Point, b: Point) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lng - a.lng).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_MILES * h.sqrt().min(1.0).asin()
}

/// A latitude/longitude box that holds every point within `radius` miles of `c` (for a cheap
/// first cut in the database; the exact distance decides).
pub fn bounding_box(c: Point, radius: f64) -> (f64, f64, f64, f64) {
    let dlat = radius / 69.0;
    let cos = c.lat.to_radians().cos().abs().max(0.01);
    let dlng = (radius / (69.172 * cos)).min(180.0);
    (c.lat - dlat, c.lat + dlat, c.lng - dlng, c.lng + dlng)
}

// ---------- search ----------

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub origin: Option<Point>,
    pub radius_miles: f64,
    pub technique: Option<String>,
    pub condition: Option<String>,
    pub population: Option<String>,
    pub accepts_referrals: bool,
}

/// What a search needs to know of a published profile.
#[derive(Debug, Clone)]
pub struct Listing {
    pub id: i64,
    pub point: Point,
    pub techniques: BTreeSet<String>,
    pub conditions: BTreeSet<String>,
    pub populations: BTreeSet<String>,
    pub accepts_referrals: bool,
}

fn wants(filter: &Option<String>, have: &BTreeSet<String>) -> bool {
    filter.as_ref().is_none_or(|f| have.contains(f))
}

/// The listings that match, with their distance in miles, nearest first (ties by id, so the order
/// is stable). Without an origin every match is returned, in id order, with no distance.
pub fn search(listings: &[Listing], q: &Query) -> Vec<(i64, Option<f64>)> {
    let mut hits: Vec<(i64, Option<f64>)> = listings
        .iter()
        .filter(|l| {
            wants(&q.technique, &l.techniques)
                && wants(&q.condition, &l.conditions)
                && wants(&q.population, &l.populations)
                && (!q.accepts_referrals || l.accepts_referrals)
        })
        .filter_map(|l| match q.origin {
            Some(o) => {
                let d = miles(o, l.point);
                (d <= q.radius_miles).then_some((l.id, Some(d)))
            }
            None => Some((l.id, None)),
        })
        .collect();
    hits.sort_by(|a, b| {
        a.1.unwrap_or(0.0)
            .total_cmp(&b.1.unwrap_or(0.0))
            .then(a.0.cmp(&b.0))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_codes_are_placed_from_the_census_table() {
        assert!(zip_count() > 33_000);
        let nyc = zip_centroid("10001").unwrap();
        assert!((nyc.lat - 40.75065).abs() < 1e-4 && (nyc.lng + 73.99729).abs() < 1e-4);
        assert_eq!(zip_centroid("10001-1234"), Some(nyc));
        assert_eq!(zip_centroid("00000"), None);
        assert_eq!(zip_centroid("1000"), None);
        assert_eq!(zip_centroid("abcde"), None);
        assert_eq!(normalize_zip(" 02139 "), Some("02139".into()));
        assert_eq!(normalize_zip("02139-12"), None);
    }

    #[test]
    fn distances_are_great_circle_miles() {
        // Manhattan (10001) to Cambridge, MA (02139): about 188 miles as the crow flies.
        let d = miles(
            zip_centroid("10001").unwrap(),
            zip_centroid("02139").unwrap(),
        );
        assert!((180.0..195.0).contains(&d), "{d}");
        let p = Point {
            lat: 30.0,
            lng: -90.0,
        };
        assert!(miles(p, p).abs() < 1e-9);
        // One degree of latitude is about 69 miles.
        let q = Point {
            lat: 31.0,
            lng: -90.0,
        };
        assert!((miles(p, q) - 69.09).abs() < 0.1);
    }

    #[test]
    fn the_bounding_box_holds_the_whole_radius() {
        let c = zip_centroid("60601").unwrap();
        let (lat0, lat1, lng0, lng1) = bounding_box(c, 50.0);
        for bearing in 0..360 {
            let b = (bearing as f64).to_radians();
            // A point about 49.9 miles away along `bearing`.
            let d = 49.9 / EARTH_RADIUS_MILES;
            let (p1, l1) = (c.lat.to_radians(), c.lng.to_radians());
            let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * b.cos()).asin();
            let l2 = l1 + (b.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
            let (lat, lng) = (p2.to_degrees(), l2.to_degrees());
            assert!(
                lat >= lat0 && lat <= lat1 && lng >= lng0 && lng <= lng1,
                "{bearing}"
            );
        }
    }

    fn listing(id: i64, lat: f64, lng: f64, tech: &[&str], referrals: bool) -> Listing {
        Listing {
            id,
            point: Point { lat, lng },
            techniques: tech.iter().map(|s| s.to_string()).collect(),
            conditions: BTreeSet::new(),
            populations: BTreeSet::new(),
            accepts_referrals: referrals,
        }
    }

    #[test]
    fn search_filters_then_sorts_by_distance() {
        let origin = Point {
            lat: 40.0,
            lng: -75.0,
        };
        let ls = vec![
            listing(1, 40.5, -75.0, &["swedish"], true), // ~34.5 mi
            listing(2, 40.1, -75.0, &["swedish", "trigger_point"], false), // ~6.9 mi
            listing(3, 41.0, -75.0, &["trigger_point"], true), // ~69 mi
            listing(4, 40.2, -75.0, &["trigger_point"], true), // ~13.8 mi
        ];
        let q = Query {
            origin: Some(origin),
            radius_miles: 50.0,
            ..Default::default()
        };
        let ids: Vec<i64> = search(&ls, &q).iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![2, 4, 1]);
        let q2 = Query {
            technique: Some("trigger_point".into()),
            accepts_referrals: true,
            radius_miles: 100.0,
            ..q.clone()
        };
        let ids: Vec<i64> = search(&ls, &q2).iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![4, 3]);
    }

    #[test]
    fn the_shipped_scope_file_parses() {
        serde_json::from_str::<ScopeFile>(SCOPE_JSON).unwrap();
    }

    #[test]
    fn modalities_beyond_heat_and_cold_need_the_states_own_text() {
        assert_eq!(modalities_for("ZZ"), vec!["heat_cold"]);
        for (state, scope) in scopes() {
            let allowed = modalities_for(state);
            assert!(allowed.contains(&"heat_cold"));
            for m in &allowed {
                assert!(
                    *m == "heat_cold" || scope.included.iter().any(|i| i == m),
                    "{state} {m}"
                );
            }
            assert!(
                !scope.citation.is_empty() && !scope.quote.is_empty(),
                "{state}"
            );
            for c in scope.included.iter().chain(&scope.excluded) {
                assert!(
                    label(MODALITIES, c).is_some(),
                    "{state}: unknown modality {c}"
                );
            }
        }
    }
}
