//! The route a request belongs to, as a metrics label: the resource the
//! router matched writes its template (`/v1/users/{id}`) into a slot the
//! outermost middleware put in the request's extensions, so the label costs
//! no second match of the path (the router has already done that work).

use std::cell::Cell;
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;

/// Where the matched resource writes its route template; empty when no
/// route matched (the 404 fallback), so such requests share one label.
///
/// A request lives on one worker thread, so the slot is an `Rc<Cell>`
/// shared between the middleware that reads it and the resource that
/// writes it.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteSlot(Rc<Cell<Option<&'static str>>>);

impl RouteSlot {
    /// A new empty slot, placed in `request`'s extensions; keep the
    /// returned handle to read the label once the request is answered.
    pub(crate) fn attach(request: &ServiceRequest) -> Self {
        let slot = Self::default();
        request.extensions_mut().insert(slot.clone());
        slot
    }

    /// Writes `template` into the slot of `request`, if it has one.
    pub(crate) fn fill(request: &ServiceRequest, template: &'static str) {
        if let Some(slot) = request.extensions().get::<Self>() {
            slot.0.set(Some(template));
        }
    }

    /// The template written, if a route matched.
    pub(crate) fn label(&self) -> Option<&'static str> {
        self.0.get()
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
    use actix_web::test::TestRequest;

    #[test]
    fn a_slot_reads_what_the_matched_resource_wrote() {
        let request = TestRequest::get().uri("/v1/users/ann").to_srv_request();
        let slot = RouteSlot::attach(&request);
        assert_eq!(slot.label(), None);
        RouteSlot::fill(&request, "/v1/users/{id}");
        assert_eq!(slot.label(), Some("/v1/users/{id}"));
    }

    #[test]
    fn filling_a_request_without_a_slot_does_nothing() {
        let request = TestRequest::get().uri("/x").to_srv_request();
        RouteSlot::fill(&request, "/x");
        assert!(request.extensions().get::<RouteSlot>().is_none());
    }

    #[test]
    fn methods_have_fixed_labels() {
        assert_eq!(method_label(&actix_web::http::Method::POST), "POST");
        let odd = actix_web::http::Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&odd), "OTHER");
    }
}
