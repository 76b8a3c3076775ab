//! Selectors: which slices of CE a requirement looks at. A selector is a
//! conjunction over dimensions (topic, delivery, approval); an absent
//! dimension matches everything. Besides matching, selectors can be compared
//! symbolically (nested / disjoint / crossing) so that rule files can be
//! checked at load time for the structure the allocator needs.

use super::codes::{Delivery, Scheme, TopicRef};

/// A boolean filter over slices of CE. `None` in a dimension means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Topics (any of); a slice with no topic never matches a topic filter.
    pub topics: Option<Vec<TopicRef>>,
    /// Delivery modes (any of).
    pub delivery: Option<Vec<Delivery>>,
    /// Approval schemes (the activity must hold at least one).
    pub approvals: Option<Vec<Scheme>>,
    /// Topics that never match (e.g. "online hours except ethics"); hours
    /// without a topic are not excluded by it.
    pub not_topics: Option<Vec<TopicRef>>,
}

/// How two selectors relate, for every possible log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// No slice can match both.
    Disjoint,
    /// Every slice matching the first matches the second.
    Within,
    /// Every slice matching the second matches the first.
    Contains,
    /// Neither of the above is guaranteed.
    Crossing,
}

/// The attributes of one slice of CE that selectors look at.
#[derive(Clone, Copy, Debug)]
pub struct SliceView<'a> {
    /// The slice's topic (`None` for hours not tagged with a topic).
    pub topic: Option<&'a TopicRef>,
    /// Delivery of the activity (`None` for carry-over credit).
    pub delivery: Option<Delivery>,
    /// The activity's approvals, already expanded with implications.
    pub approvals: &'a [Scheme],
}

impl Selector {
    /// The selector that matches everything.
    pub fn any() -> Selector {
        Selector::default()
    }

    /// True when no dimension is restricted.
    pub fn is_any(&self) -> bool {
        self.topics.is_none()
            && self.delivery.is_none()
            && self.approvals.is_none()
            && self.not_topics.is_none()
    }

    /// Does the slice match?
    pub fn matches(&self, s: &SliceView<'_>) -> bool {
        if let Some(ts) = &self.topics {
            match s.topic {
                Some(t) if ts.iter().any(|r| r.covers(t)) => {}
                _ => return false,
            }
        }
        if let Some(ds) = &self.delivery {
            match s.delivery {
                Some(d) if ds.contains(&d) => {}
                _ => return false,
            }
        }
        if let Some(aps) = &self.approvals
            && !aps.iter().any(|a| s.approvals.contains(a))
        {
            return false;
        }
        if let (Some(nots), Some(t)) = (&self.not_topics, s.topic)
            && nots.iter().any(|n| n.covers(t))
        {
            return false;
        }
        true
    }

    /// Symbolic subset test: every slice matching `self` matches `other`.
    pub fn is_within(&self, other: &Selector) -> bool {
        let topics_ok = match (&self.topics, &other.topics) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.iter().all(|x| b.iter().any(|y| y.contains_ref(x))),
        };
        let delivery_ok = match (&self.delivery, &other.delivery) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.iter().all(|x| b.contains(x)),
        };
        let approvals_ok = match (&self.approvals, &other.approvals) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.iter().all(|x| b.contains(x)),
        };
        // Every topic `other` excludes must be excluded by `self` too, or lie
        // outside `self`'s topics.
        let not_ok = match &other.not_topics {
            None => true,
            Some(theirs) => theirs.iter().all(|n| {
                self.not_topics
                    .as_ref()
                    .is_some_and(|mine| mine.iter().any(|m| m.contains_ref(n)))
                    || self
                        .topics
                        .as_ref()
                        .is_some_and(|ts| ts.iter().all(|t| !t.overlaps(n)))
            }),
        };
        topics_ok && delivery_ok && approvals_ok && not_ok
    }

    /// Symbolic disjointness: no slice can match both. Approvals never prove
    /// disjointness (an activity may hold several).
    pub fn is_disjoint(&self, other: &Selector) -> bool {
        if let (Some(a), Some(b)) = (&self.topics, &other.topics)
            && !a.iter().any(|x| b.iter().any(|y| x.overlaps(y)))
        {
            return true;
        }
        if let (Some(a), Some(b)) = (&self.delivery, &other.delivery)
            && !a.iter().any(|x| b.contains(x))
        {
            return true;
        }
        // One side's topics are all excluded by the other.
        let excluded_by = |ts: &Option<Vec<TopicRef>>, nots: &Option<Vec<TopicRef>>| matches!((ts, nots), (Some(ts), Some(ns)) if ts.iter().all(|t| ns.iter().any(|n| n.contains_ref(t))));
        excluded_by(&self.topics, &other.not_topics) || excluded_by(&other.topics, &self.not_topics)
    }

    /// Classifies the pair.
    pub fn relation(&self, other: &Selector) -> Relation {
        if self.is_disjoint(other) {
            Relation::Disjoint
        } else if self.is_within(other) {
            Relation::Within
        } else if other.is_within(self) {
            Relation::Contains
        } else {
            Relation::Crossing
        }
    }

    /// Human wording of the topic part, e.g. `ethics or communication`.
    pub fn topic_phrase(&self) -> Option<String> {
        self.topics
            .as_ref()
            .map(|ts| join_or(ts.iter().map(TopicRef::label).collect()))
    }

    /// Human wording of the delivery part, e.g. `in person with hands-on practice`.
    pub fn delivery_phrase(&self) -> Option<String> {
        self.delivery
            .as_ref()
            .map(|ds| join_or(ds.iter().map(|d| d.label().to_string()).collect()))
    }
}

/// Joins `a`, `a or b`, `a, b or c`.
pub fn join_or(mut items: Vec<String>) -> String {
    match items.len() {
        0 => String::new(),
        1 => items.remove(0),
        _ => {
            let last = items.pop().unwrap_or_default();
            format!("{} or {last}", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::codes::{Delivery, Scheme, Topic, TopicRef};
    use super::{Relation, Selector, SliceView};

    fn topics(ts: &[Topic]) -> Selector {
        Selector {
            topics: Some(ts.iter().map(|t| TopicRef::plain(*t)).collect()),
            ..Selector::any()
        }
    }

    fn delivery(ds: &[Delivery]) -> Selector {
        Selector {
            delivery: Some(ds.to_vec()),
            ..Selector::any()
        }
    }

    #[test]
    fn relations() {
        let ethics = topics(&[Topic::Ethics]);
        let bounds = topics(&[Topic::Boundaries, Topic::Roles]);
        let self_care = topics(&[Topic::SelfCare]);
        let online = delivery(&[Delivery::LiveOnline, Delivery::SelfStudy]);
        let hands_on = delivery(&[Delivery::InPersonHandsOn]);
        assert_eq!(bounds.relation(&ethics), Relation::Within);
        assert_eq!(ethics.relation(&bounds), Relation::Contains);
        assert_eq!(ethics.relation(&self_care), Relation::Disjoint);
        assert_eq!(ethics.relation(&online), Relation::Crossing);
        assert_eq!(hands_on.relation(&online), Relation::Disjoint);
        assert_eq!(ethics.relation(&Selector::any()), Relation::Within);
        let ht_hhsc = Selector {
            approvals: Some(vec![Scheme::HhscHt]),
            ..topics(&[Topic::HumanTrafficking])
        };
        assert_eq!(
            ht_hhsc.relation(&topics(&[Topic::HumanTrafficking])),
            Relation::Within
        );
    }

    #[test]
    fn matching() {
        let fl_lr = Selector {
            topics: Some(vec![TopicRef::parse("laws_rules{FL}").expect("ok")]),
            ..Selector::any()
        };
        let tx = TopicRef::parse("laws_rules{TX}").expect("ok");
        let fl = TopicRef::parse("laws_rules{FL}").expect("ok");
        let view = |t| SliceView {
            topic: Some(t),
            delivery: Some(Delivery::SelfStudy),
            approvals: &[],
        };
        assert!(fl_lr.matches(&view(&fl)));
        assert!(!fl_lr.matches(&view(&tx)));
        let untagged = SliceView {
            topic: None,
            delivery: Some(Delivery::SelfStudy),
            approvals: &[],
        };
        assert!(!fl_lr.matches(&untagged));
        assert!(Selector::any().matches(&untagged));
    }
}
