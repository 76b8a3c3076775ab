//! The closed vocabularies shared by rule files and activity logs: topics,
//! delivery modes, approval schemes, hour units, credential-item kinds and
//! jurisdictions. Codes follow §3 of the CE reference; the few additions
//! (marked *extension* below) are needed by rules or worked examples that §3
//! does not name.

use std::fmt;

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`", $code, "`: ", $label, ".")]
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];
            /// What this vocabulary is called in error messages.
            pub const WHAT: &'static str = $what;

            /// The code used in rule files and scenarios.
            pub const fn code(self) -> &'static str {
                match self { $( $name::$variant => $code, )+ }
            }

            /// Human wording used in deficit details.
            pub const fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }

            /// Looks a code up (exact, lowercase).
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $( $code => Some($name::$variant), )+ _ => None }
            }

            /// All codes joined with ", " (for error messages).
            pub fn known_codes() -> String {
                [$( $code ),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum! {
    /// CE subject areas (§3.1 `topic`). `ethics` is the parent of
    /// `boundaries` and `roles`: a selector on `ethics` also takes them.
    Topic, "topic" {
        Ethics = "ethics", "ethics";
        Boundaries = "boundaries", "professional boundaries";
        Roles = "roles", "professional roles";
        /// *extension* (worked example 1, WA ethics group)
        Communication = "communication", "communication";
        LawsRules = "laws_rules", "laws & rules";
        MedicalErrors = "medical_errors", "prevention of medical errors";
        HumanTrafficking = "human_trafficking", "human trafficking";
        CommunicableDisease = "communicable_disease", "communicable disease (incl. HIV/AIDS)";
        CprFirstAid = "cpr_first_aid", "CPR / first aid";
        SelfCare = "self_care", "self-care";
        Business = "business", "business";
        Technique = "technique", "massage technique";
        Pathology = "pathology", "pathology";
        /// *extension* (NCBTMB accepts science, A&P and kinesiology)
        AnatomyPhysiology = "anatomy_physiology", "anatomy & physiology";
        /// *extension*
        Kinesiology = "kinesiology", "kinesiology";
        PainSymptomMgmt = "pain_symptom_mgmt", "pain & symptom management";
        CulturalCompetency = "cultural_competency", "cultural competency";
        HealthEquity = "health_equity", "health equity";
        ImplicitBias = "implicit_bias", "implicit bias";
        ChildAbuseReporting = "child_abuse_reporting", "child abuse recognition & reporting";
        DvSaAwareness = "dv_sa_awareness", "domestic violence & sexual assault awareness";
        SexualHarassment = "sexual_harassment", "sexual harassment prevention";
        /// *extension* (NY excludes it; AMTA needs a relevance note)
        Reiki = "reiki", "Reiki";
        /// *extension* (NY excludes it)
        AlexanderTechnique = "alexander_technique", "Alexander technique";
        /// *extension* (NY excludes it)
        Feldenkrais = "feldenkrais", "Feldenkrais";
        /// *extension* (NY excludes it)
        AppearanceEnhancement = "appearance_enhancement", "appearance enhancement";
        /// *extension* (NC excludes it)
        AnimalMassage = "animal_massage", "animal massage";
        /// *extension* (AMTA's example of a course needing a relevance note)
        Aromatherapy = "aromatherapy", "aromatherapy";
        /// *extension* (AMTA does not accept teaching or TA time)
        Teaching = "teaching", "teaching / TA time";
        /// *extension*: research literacy / research methods.
        Research = "research", "research";
        /// *extension*: clinical documentation and record keeping.
        Documentation = "documentation", "documentation & record keeping";
        /// *extension*: opioid / controlled-substance awareness.
        Opioids = "opioids", "opioid awareness";
        /// *extension*: elder abuse recognition and reporting.
        ElderAbuse = "elder_abuse", "elder abuse recognition & reporting";
        /// *extension*: suicide prevention.
        SuicidePrevention = "suicide_prevention", "suicide prevention";
        /// *extension*: infection control and sanitation.
        InfectionControl = "infection_control", "infection control";
    }
}

impl Topic {
    /// The parent topic, if any.
    pub const fn parent(self) -> Option<Topic> {
        match self {
            Topic::Boundaries | Topic::Roles => Some(Topic::Ethics),
            _ => None,
        }
    }

    /// True when `self` is `ancestor` or lies under it.
    pub fn is_within(self, ancestor: Topic) -> bool {
        let mut t = Some(self);
        while let Some(cur) = t {
            if cur == ancestor {
                return true;
            }
            t = cur.parent();
        }
        false
    }
}

code_enum! {
    /// How a course was delivered (§1c: at least five values).
    Delivery, "delivery" {
        InPersonHandsOn = "in_person_hands_on", "in person with hands-on practice";
        InPersonLecture = "in_person_lecture", "in-person lecture";
        LiveOnline = "live_online", "live interactive online";
        SelfStudy = "self_study", "self-study";
        Academic = "academic", "academic credit";
    }
}

code_enum! {
    /// Approval schemes with a fixed issuer (§3.1 `approval_scheme`). The
    /// full vocabulary, with the per-jurisdiction schemes, is [`Scheme`].
    NamedScheme, "approval scheme" {
        NcbtmbCourse = "ncbtmb_course", "an NCBTMB-approved course";
        /// *extension*: an NCBTMB Approved Provider (AP status alone; GA asks
        /// for an NCBTMB provider number). Implied by `ncbtmb_course`.
        NcbtmbProvider = "ncbtmb_provider", "an NCBTMB Approved Provider";
        AccreditedCollege = "accredited_college", "an accredited college or university";
        FlBmtProvider = "fl_bmt_provider", "a Florida Board of Massage Therapy approved provider";
        /// Florida-approved human-trafficking course (worked example 1).
        FlHt = "fl_ht", "a Florida-approved human-trafficking course";
        NySponsor = "ny_sponsor", "a NYSED-approved sponsor";
        TxCeProvider = "tx_ce_provider", "a TDLR-approved CE provider";
        HhscHt = "hhsc_ht", "an HHSC-approved human-trafficking course";
        OpmcPain = "opmc_pain", "the OPMC pain-management module";
        Amta = "amta", "AMTA or an AMTA chapter";
        Abmp = "abmp", "ABMP";
        /// *extension*: Florida State Massage Therapy Association (FL 64B7-28.010).
        Fsmta = "fsmta", "the Florida State Massage Therapy Association";
        /// *extension*: a course approved by the PA State Board of Massage Therapy
        PaBoard = "pa_board", "a PA Board-approved course";
        /// *extension*: a Pennsylvania massage school (deemed provider)
        PaSchool = "pa_school", "a Pennsylvania massage school";
        /// *extension*: the FSMTB CE Registry (VA, WV, OK, NJ).
        Fsmtb = "fsmtb", "FSMTB (Federation of State Massage Therapy Boards)";
        /// *extension*: Commission on Massage Therapy Accreditation (VA).
        Comta = "comta", "COMTA (Commission on Massage Therapy Accreditation)";
        /// *extension*: NJ's list of approving bodies.
        Nccaom = "nccaom", "NCCAOM (acupuncture and Oriental medicine)";
        /// *extension*: NJ.
        Aobta = "aobta", "AOBTA (American Organization for Bodywork Therapies of Asia)";
        /// *extension*: NJ.
        Ancc = "ancc", "ANCC (American Nurses Credentialing Center)";
        /// *extension*: NJ.
        Apta = "apta", "the American Physical Therapy Association";
        /// *extension*: NJ.
        Polarity = "polarity", "the American Polarity Therapy Association";
        /// *extension*: NJ.
        Iasi = "iasi", "IASI (International Association of Structural Integrators)";
    }
}

/// Who approved a course: a named scheme, or one scoped to a jurisdiction
/// (`board_approved{NJ}`: approved by New Jersey's board; `school{NJ}`: a
/// massage school approved or licensed in New Jersey).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// A scheme with a fixed issuer.
    Named(NamedScheme),
    /// A provider or course approved by this jurisdiction's board.
    BoardApproved(Jurisdiction),
    /// A massage school approved or licensed in this jurisdiction.
    School(Jurisdiction),
}

#[allow(non_upper_case_globals)]
impl Scheme {
    /// `ncbtmb_course`.
    pub const NcbtmbCourse: Scheme = Scheme::Named(NamedScheme::NcbtmbCourse);
    /// `ncbtmb_provider`.
    pub const NcbtmbProvider: Scheme = Scheme::Named(NamedScheme::NcbtmbProvider);
    /// `accredited_college`.
    pub const AccreditedCollege: Scheme = Scheme::Named(NamedScheme::AccreditedCollege);
    /// `fl_bmt_provider`.
    pub const FlBmtProvider: Scheme = Scheme::Named(NamedScheme::FlBmtProvider);
    /// `fl_ht`.
    pub const FlHt: Scheme = Scheme::Named(NamedScheme::FlHt);
    /// `ny_sponsor`.
    pub const NySponsor: Scheme = Scheme::Named(NamedScheme::NySponsor);
    /// `tx_ce_provider`.
    pub const TxCeProvider: Scheme = Scheme::Named(NamedScheme::TxCeProvider);
    /// `hhsc_ht`.
    pub const HhscHt: Scheme = Scheme::Named(NamedScheme::HhscHt);
    /// `opmc_pain`.
    pub const OpmcPain: Scheme = Scheme::Named(NamedScheme::OpmcPain);
    /// `amta`.
    pub const Amta: Scheme = Scheme::Named(NamedScheme::Amta);
    /// `abmp`.
    pub const Abmp: Scheme = Scheme::Named(NamedScheme::Abmp);
    /// `pa_board`.
    pub const PaBoard: Scheme = Scheme::Named(NamedScheme::PaBoard);
    /// `pa_school`.
    pub const PaSchool: Scheme = Scheme::Named(NamedScheme::PaSchool);

    /// What the vocabulary is called in error messages.
    pub const WHAT: &'static str = "approval scheme";

    /// Parses a code: a named scheme (also the alias `fl_bmt` of worked
    /// example 1), `board_approved{XX}` or `school{XX}`.
    pub fn parse(code: &str) -> Option<Scheme> {
        if code == "fl_bmt" {
            return Some(Scheme::FlBmtProvider);
        }
        if let Some(rest) = code.strip_suffix('}') {
            let (base, j) = rest.split_once('{')?;
            let j = Jurisdiction::parse(j)?;
            return match base {
                "board_approved" => Some(Scheme::BoardApproved(j)),
                "school" => Some(Scheme::School(j)),
                _ => None,
            };
        }
        NamedScheme::from_code(code).map(Scheme::Named)
    }

    /// The code, as stored and as written in rule files.
    pub fn code(self) -> String {
        self.to_string()
    }

    /// Human wording, e.g. "a provider approved by the New Jersey board".
    pub fn label(self) -> String {
        match self {
            Scheme::Named(n) => n.label().to_string(),
            Scheme::BoardApproved(j) => {
                format!("a provider or course approved by the {} board", j.name())
            }
            Scheme::School(j) => format!("a massage school approved in {}", j.name()),
        }
    }

    /// Every named scheme (the per-jurisdiction ones are open-ended).
    pub fn named() -> impl Iterator<Item = Scheme> {
        NamedScheme::ALL.iter().map(|n| Scheme::Named(*n))
    }

    /// Known codes for error messages.
    pub fn known_codes() -> String {
        format!(
            "{}, board_approved{{XX}}, school{{XX}}",
            NamedScheme::known_codes()
        )
    }

    /// Schemes that this one implies (an approved course comes from an
    /// approved provider).
    pub const fn implies(self) -> &'static [Scheme] {
        match self {
            Scheme::Named(NamedScheme::NcbtmbCourse) => &[Scheme::NcbtmbProvider],
            _ => &[],
        }
    }

    /// The set of schemes an activity holds once implications are added,
    /// sorted and without duplicates.
    pub fn expand(list: &[Scheme]) -> Vec<Scheme> {
        let mut out: Vec<Scheme> = Vec::with_capacity(list.len() + 1);
        for s in list {
            out.push(*s);
            out.extend_from_slice(s.implies());
        }
        out.sort();
        out.dedup();
        out
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scheme::Named(n) => f.write_str(n.code()),
            Scheme::BoardApproved(j) => write!(f, "board_approved{{{j}}}"),
            Scheme::School(j) => write!(f, "school{{{j}}}"),
        }
    }
}

code_enum! {
    /// Units a certificate may state hours in.
    Unit, "unit" {
        /// One CE/contact hour as printed on the certificate: counts 1:1.
        CeHour = "hour", "CE hour";
        /// 60-minute hour, converted with the rule's `unit_minutes`.
        ClockHour = "clock_hour", "clock hour";
        /// Minutes of instruction, converted with the rule's `unit_minutes`.
        Minute = "minute", "minute";
        SemesterCredit = "semester_credit", "semester credit";
        QuarterCredit = "quarter_credit", "quarter credit";
        /// Continuing Education Unit (0.1 CEU = 1 h where the rule says so).
        Ceu = "ceu", "CEU";
        /// Generic college credit (OR: 1 credit = 10 CE).
        CollegeCredit = "college_credit", "college credit";
    }
}

impl Unit {
    /// Parses a unit, also accepting `ce_hour` and `minutes`.
    pub fn parse(code: &str) -> Option<Unit> {
        match code {
            "ce_hour" | "hours" => Some(Unit::CeHour),
            "minutes" => Some(Unit::Minute),
            other => Unit::from_code(other),
        }
    }

    /// Units that need an explicit conversion factor in the rule file.
    pub const fn needs_rule_conversion(self) -> bool {
        matches!(
            self,
            Unit::SemesterCredit | Unit::QuarterCredit | Unit::Ceu | Unit::CollegeCredit
        )
    }
}

code_enum! {
    /// Non-hour records (§3.1 `credential_item`).
    ItemKind, "credential item kind" {
        CprBls = "cpr_bls", "current CPR/BLS certification";
        BackgroundCheck = "background_check", "background check";
        HtOnce = "ht_once", "one-time human-trafficking training";
        Attestation = "attestation", "signed attestation";
    }
}

/// A US state or territory code (two capital letters), e.g. `FL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jurisdiction([u8; 2]);

/// The 50 states, DC and the inhabited territories: USPS code and name.
pub const US_JURISDICTIONS: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "the District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "the U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "the Northern Mariana Islands"),
];

/// The 50 states and DC (the jurisdictions every rule set must cover).
pub const STATES_AND_DC: usize = 51;

impl Jurisdiction {
    /// Parses a USPS code of a state, DC or a territory.
    pub fn parse(s: &str) -> Option<Jurisdiction> {
        let b = s.as_bytes();
        if b.len() == 2 && US_JURISDICTIONS.iter().any(|(c, _)| *c == s) {
            Some(Jurisdiction([b[0], b[1]]))
        } else {
            None
        }
    }

    /// The jurisdiction's name ("New Jersey", "the District of Columbia").
    pub fn name(self) -> &'static str {
        let code = self.to_string();
        US_JURISDICTIONS
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, n)| *n)
            .unwrap_or("an unknown jurisdiction")
    }

    /// The name without a leading article, for lists and headings.
    pub fn short_name(self) -> &'static str {
        let n = self.name();
        n.strip_prefix("the ").unwrap_or(n)
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.0[0] as char, self.0[1] as char)
    }
}

/// A topic, optionally tied to a jurisdiction: `laws_rules{FL}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicRef {
    /// The subject area.
    pub topic: Topic,
    /// The jurisdiction, for jurisdiction-specific subjects.
    pub jurisdiction: Option<Jurisdiction>,
}

/// Why a topic string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicParseError {
    /// The base code is not a known topic.
    UnknownTopic(String),
    /// The `{XX}` suffix is not two capital letters.
    BadJurisdiction(String),
}

impl fmt::Display for TopicParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicParseError::UnknownTopic(c) => {
                write!(f, "unknown topic `{c}` (known: {})", Topic::known_codes())
            }
            TopicParseError::BadJurisdiction(c) => write!(
                f,
                "bad jurisdiction in topic `{c}` (expected e.g. `laws_rules{{FL}}`)"
            ),
        }
    }
}

impl TopicRef {
    /// A topic with no jurisdiction.
    pub const fn plain(topic: Topic) -> TopicRef {
        TopicRef {
            topic,
            jurisdiction: None,
        }
    }

    /// Parses `code` or `code{XX}`.
    pub fn parse(s: &str) -> Result<TopicRef, TopicParseError> {
        let (base, jurisdiction) = match s.find('{') {
            Some(i) => {
                let rest = &s[i + 1..];
                let inner = rest
                    .strip_suffix('}')
                    .ok_or_else(|| TopicParseError::BadJurisdiction(s.to_string()))?;
                let j = Jurisdiction::parse(inner)
                    .ok_or_else(|| TopicParseError::BadJurisdiction(s.to_string()))?;
                (&s[..i], Some(j))
            }
            None => (s, None),
        };
        let topic = Topic::from_code(base)
            .ok_or_else(|| TopicParseError::UnknownTopic(base.to_string()))?;
        Ok(TopicRef {
            topic,
            jurisdiction,
        })
    }

    /// True when an activity's topic `slice` falls under this selector entry.
    pub fn covers(&self, slice: &TopicRef) -> bool {
        slice.topic.is_within(self.topic)
            && (self.jurisdiction.is_none() || self.jurisdiction == slice.jurisdiction)
    }

    /// True when every topic matched by `inner` is matched by `self`.
    pub fn contains_ref(&self, inner: &TopicRef) -> bool {
        inner.topic.is_within(self.topic)
            && (self.jurisdiction.is_none() || self.jurisdiction == inner.jurisdiction)
    }

    /// True when some activity topic could match both.
    pub fn overlaps(&self, other: &TopicRef) -> bool {
        (self.topic.is_within(other.topic) || other.topic.is_within(self.topic))
            && (self.jurisdiction.is_none()
                || other.jurisdiction.is_none()
                || self.jurisdiction == other.jurisdiction)
    }

    /// Human wording: `FL laws & rules`.
    pub fn label(&self) -> String {
        match self.jurisdiction {
            Some(j) => format!("{} {}", j.short_name(), self.topic.label()),
            None => self.topic.label().to_string(),
        }
    }
}

impl fmt::Display for TopicRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.jurisdiction {
            Some(j) => write!(f, "{}{{{j}}}", self.topic.code()),
            None => f.write_str(self.topic.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Delivery, Scheme, Topic, TopicParseError, TopicRef, Unit};

    #[test]
    fn codes_round_trip() {
        for t in Topic::ALL {
            assert_eq!(Topic::from_code(t.code()), Some(*t));
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::from_code(d.code()), Some(*d));
        }
        for s in Scheme::named() {
            assert_eq!(Scheme::parse(&s.code()), Some(s));
        }
        for code in ["board_approved{NJ}", "school{DC}"] {
            let s = Scheme::parse(code).expect(code);
            assert_eq!(s.code(), code);
            assert!(!s.label().contains('{'), "{}", s.label());
        }
        for bad in [
            "board_approved{ZZ}",
            "board_approved{nj}",
            "school{}",
            "college{NJ}",
            "ncbtmb",
        ] {
            assert_eq!(Scheme::parse(bad), None, "{bad}");
        }
        assert_eq!(Scheme::parse("fl_bmt"), Some(Scheme::FlBmtProvider));
        assert_eq!(Unit::parse("minutes"), Some(Unit::Minute));
    }

    #[test]
    fn topic_hierarchy_and_jurisdiction() {
        let fl = TopicRef::parse("laws_rules{FL}").expect("parses");
        assert_eq!(fl.to_string(), "laws_rules{FL}");
        assert_eq!(fl.label(), "Florida laws & rules");
        let any_lr = TopicRef::parse("laws_rules").expect("parses");
        assert!(any_lr.covers(&fl));
        assert!(!fl.covers(&any_lr));
        let ethics = TopicRef::plain(Topic::Ethics);
        assert!(ethics.covers(&TopicRef::plain(Topic::Boundaries)));
        assert!(!TopicRef::plain(Topic::Boundaries).covers(&ethics));
        assert!(matches!(
            TopicRef::parse("ethicz"),
            Err(TopicParseError::UnknownTopic(_))
        ));
        assert!(matches!(
            TopicRef::parse("laws_rules{Florida}"),
            Err(TopicParseError::BadJurisdiction(_))
        ));
    }

    #[test]
    fn ncbtmb_course_implies_provider() {
        let e = Scheme::expand(&[Scheme::NcbtmbCourse]);
        assert!(e.contains(&Scheme::NcbtmbProvider));
    }
}
