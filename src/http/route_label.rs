//! The route a request path belongs to, as a metrics label: the path is
//! matched segment by segment against the route table ([`super::api`]) —
//! plain string comparisons, without running the router's patterns a
//! second time for every request.

use std::sync::OnceLock;

/// One segment of a route template.
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    /// Must equal the path's segment.
    Literal(&'static str),
    /// `prefix{name}suffix`: any segment with this prefix and suffix.
    Param {
        prefix: &'static str,
        suffix: &'static str,
    },
}

impl Segment {
    fn parse(text: &'static str) -> Self {
        match (text.find('{'), text.rfind('}')) {
            (Some(open), Some(close)) if open < close => Self::Param {
                prefix: &text[..open],
                suffix: &text[close + 1..],
            },
            _ => Self::Literal(text),
        }
    }

    fn fits(&self, segment: &str) -> bool {
        match self {
            Self::Literal(literal) => *literal == segment,
            Self::Param { prefix, suffix } => {
                segment.len() > prefix.len() + suffix.len()
                    && segment.starts_with(prefix)
                    && segment.ends_with(suffix)
            }
        }
    }
}

/// The route templates, split into segments.
#[derive(Debug)]
pub(crate) struct RouteLabels {
    routes: Vec<(&'static str, Vec<Segment>)>,
}

impl RouteLabels {
    /// The labels of these templates (`/v1/users/{id}`, …); repeats are kept once.
    pub(crate) fn new(templates: impl IntoIterator<Item = &'static str>) -> Self {
        let mut routes: Vec<(&'static str, Vec<Segment>)> = Vec::new();
        for template in templates {
            if routes.iter().all(|(t, _)| *t != template) {
                routes.push((template, template.split('/').map(Segment::parse).collect()));
            }
        }
        Self { routes }
    }

    /// The labels of the API's route table, built once.
    pub(crate) fn of_api() -> &'static Self {
        static LABELS: OnceLock<RouteLabels> = OnceLock::new();
        LABELS.get_or_init(|| Self::new(super::api::endpoints().iter().map(|e| e.path)))
    }

    /// The template `path` fits (the one with the most literal segments
    /// when several do), or `None` when no route has it.
    pub(crate) fn label(&self, path: &str) -> Option<&'static str> {
        let count = path.split('/').count();
        self.routes
            .iter()
            .filter(|(_, segments)| segments.len() == count)
            .filter(|(_, segments)| segments.iter().zip(path.split('/')).all(|(s, p)| s.fits(p)))
            .max_by_key(|(_, segments)| {
                segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count()
            })
            .map(|(template, _)| *template)
    }
}

/// A method as a label (standard methods by name, anything else `OTHER`).
pub(crate) fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method as M;
    match *method {
        M::GET => "GET",
        M::POST => "POST",
        M::PUT => "PUT",
        M::PATCH => "PATCH",
        M::DELETE => "DELETE",
        M::HEAD => "HEAD",
        M::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> RouteLabels {
        RouteLabels::new([
            "/healthz",
            "/v1/users/{id}",
            "/v1/users/{id}/library",
            "/v1/sessions/current",
            "/v1/sessions/{id}",
            "/v1/contents/{id}/drafts:generate",
        ])
    }

    #[test]
    fn paths_get_the_template_they_fit() {
        let labels = labels();
        assert_eq!(labels.label("/healthz"), Some("/healthz"));
        assert_eq!(labels.label("/v1/users/ann"), Some("/v1/users/{id}"));
        assert_eq!(
            labels.label("/v1/users/ann/library"),
            Some("/v1/users/{id}/library")
        );
        assert_eq!(
            labels.label("/v1/contents/c1/drafts:generate"),
            Some("/v1/contents/{id}/drafts:generate")
        );
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        assert_eq!(
            labels().label("/v1/sessions/current"),
            Some("/v1/sessions/current")
        );
        assert_eq!(labels().label("/v1/sessions/s1"), Some("/v1/sessions/{id}"));
    }

    #[test]
    fn paths_no_route_has_are_unlabelled() {
        let labels = labels();
        for path in [
            "/",
            "/nope",
            "/v1/users",
            "/v1/users/",
            "/v1/users/ann/x",
            "/healthz/",
        ] {
            assert_eq!(labels.label(path), None, "{path}");
        }
    }

    #[test]
    fn every_route_of_the_api_labels_itself() {
        let labels = RouteLabels::of_api();
        for endpoint in super::super::api::endpoints() {
            let concrete = endpoint.path.replace("{id}", "x1");
            let concrete: String = concrete
                .split('/')
                .map(|s| {
                    if s.contains('{') {
                        "y2".to_owned()
                    } else {
                        s.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            assert_eq!(labels.label(&concrete), Some(endpoint.path), "{concrete}");
        }
    }
}
