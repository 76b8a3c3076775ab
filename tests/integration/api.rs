//! The JSON API: token life cycle, error shape, OpenAPI document.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp};
use palpate::domain::accounts::Role;
use serde_json::{Value, json};

async fn api_token_life_cycle(app: TestApp) {
    app.user("api@example.com", &[Role::Student, Role::Instructor])
        .await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.addr);

    let r = http
        .post(url("/api/v1/tokens"))
        .json(&json!({"email": "api@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    let r = http
        .post(url("/api/v1/tokens"))
        .json(&json!({"email": "api@example.com", "password": PASSWORD, "name": "laptop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_i64().unwrap();

    let me: Value = http
        .get(url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "api@example.com");
    assert_eq!(me["roles"], json!(["student", "instructor"]));

    let list: Value = http
        .get(url("/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(list["tokens"][0]["name"], "laptop");
    assert!(
        !list.to_string().contains(&token),
        "the secret is never listed"
    );

    let r = http
        .delete(url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http
        .get(url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);

    // No token at all, unknown routes and bad bodies all answer in the same JSON shape.
    let r = http.get(url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http.get(url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let r = http
        .post(url("/api/v1/tokens"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.json::<Value>().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    // Where the parser stopped, in our words, without the framework's own prefix.
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The JSON body could not be read: key must be a string"),
        "{message}"
    );
    assert!(!message.contains("Json deserialize error"), "{message}");
}

async fn tokens_from_the_account_page(app: TestApp) {
    let c = app
        .logged_in("page@example.com", &[Role::Practitioner])
        .await;
    // The token form and the profile form both have a field called "name": each error shows
    // under its own form.
    let r = c
        .submit("/account", "/account/tokens", &[("name", "")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.body.contains("id=\"token-name-error\""), "{}", r.body);
    assert!(!r.body.contains("id=\"name-error\""), "{}", r.body);
    let r = c
        .submit("/account", "/account/profile", &[("name", "")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.body.contains("id=\"name-error\""), "{}", r.body);
    assert!(!r.body.contains("id=\"token-name-error\""), "{}", r.body);
    let r = c
        .submit("/account", "/account/tokens", &[("name", "phone")])
        .await;
    assert_eq!(r.status(), 200);
    r.assert_contains("Copy it now");
    let marker = "<code class=\"secret\">";
    let start = r.body.find(marker).unwrap() + marker.len();
    let secret = r.body[start..].split('<').next().unwrap().to_string();
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/api/v1/me", app.addr))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The account page lists it without the secret, and can revoke it.
    let page = c.get("/account").await;
    page.assert_contains("phone");
    assert!(!page.body.contains(&secret));
    let id = page
        .body
        .split("/account/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // Revoking asks first, naming the token.
    let confirm = c.get(&format!("/account/tokens/{id}/revoke")).await;
    confirm.assert_contains("Revoke the token “phone”?");
    let r = c
        .submit(
            &format!("/account/tokens/{id}/revoke"),
            &format!("/account/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = http
        .get(format!("{}/api/v1/me", app.addr))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The schema `r` points to (following `$ref`s into the components).
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        schema = &doc["components"]["schemas"][name];
        assert!(!schema.is_null(), "{r} is not in the components");
    }
    schema
}

/// Where `value` does not match `schema`: a wrong type, a missing required field, or a field the
/// document does not describe.
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(alts) = schema
        .get("oneOf")
        .or(schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let fits = alts.iter().any(|alt| {
            let mut e = vec![];
            mismatches(doc, alt, value, at, &mut e);
            e.is_empty()
        });
        if !fits {
            out.push(format!("{at}: {value} matches none of the alternatives"));
        }
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            mismatches(doc, part, value, at, out);
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return,
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types
        .iter()
        .any(|t| *t == actual || (*t == "number" && actual == "integer"))
    {
        out.push(format!(
            "{at}: a {actual} where the document says {types:?}"
        ));
        return;
    }
    match value {
        Value::Object(map) => {
            for req in schema["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap();
                if !map.contains_key(req) {
                    out.push(format!("{at}: required field {req} missing"));
                }
            }
            for (k, v) in map {
                match schema["properties"].get(k) {
                    Some(p) => mismatches(doc, p, v, &format!("{at}.{k}"), out),
                    None => match schema.get("additionalProperties") {
                        Some(extra) if extra.is_object() => {
                            mismatches(doc, extra, v, &format!("{at}.{k}"), out)
                        }
                        _ => out.push(format!("{at}: field {k} is not in the document")),
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(prefix) = schema["prefixItems"].as_array() {
                for (i, (p, v)) in prefix.iter().zip(items).enumerate() {
                    mismatches(doc, p, v, &format!("{at}[{i}]"), out);
                }
            } else if schema["items"].is_object() {
                for (i, v) in items.iter().enumerate() {
                    mismatches(doc, &schema["items"], v, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// Sends a request and checks its status and body against what the document says of that route.
pub(crate) struct Checked<'a> {
    doc: &'a Value,
    base: String,
    token: String,
    http: reqwest::Client,
    seen: std::collections::BTreeSet<(String, String)>,
}

impl Checked<'_> {
    pub(crate) async fn call(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.check(method, template, path, req).await
    }

    /// A call whose body is a file, as is.
    async fn call_raw(&mut self, method: &str, template: &str, path: &str, body: &str) -> Value {
        let req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .body(body.to_string());
        self.check(method, template, path, req).await
    }

    async fn check(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        req: reqwest::RequestBuilder,
    ) -> Value {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16().to_string();
        let bytes = r.bytes().await.unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let op = &self.doc["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not in the document");
        let response = &op["responses"][&status];
        assert!(
            response.is_object(),
            "{method} {path} answered {status}, which the document does not list: {value}"
        );
        self.seen.insert((method.to_string(), template.to_string()));
        if status == "204" {
            assert!(value.is_null() && response.get("content").is_none());
            return value;
        }
        // A file download: the document names its type, the body is the file.
        if response["content"]
            .as_object()
            .is_some_and(|c| !c.contains_key("application/json"))
        {
            assert!(!bytes.is_empty(), "{method} {path}: empty file");
            return value;
        }
        let schema = &response["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {status}: no schema"
        );
        let mut errors = vec![];
        mismatches(self.doc, schema, &value, "body", &mut errors);
        assert!(errors.is_empty(), "{method} {path} {status}: {errors:#?}");
        value
    }
}

async fn openapi_document_matches_the_routes_and_the_responses(app: TestApp) {
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    // The same routes, no more, no fewer, as the server registers under /api/v1.
    let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let registered: std::collections::BTreeSet<(String, String)> = crate::authz::routes()
        .into_iter()
        .filter(|r| r.api)
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(documented, registered);
    for (method, path) in &documented {
        let op = &doc["paths"][path][method.to_lowercase()];
        // Every path parameter is described.
        for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
            assert!(
                op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == name && p["in"] == "path"),
                "{method} {path}: parameter {name} undocumented"
            );
        }
        // Bodies are described by a schema.
        if method == "POST" || method == "PUT" {
            let needs_body = !path.ends_with("/end") && !path.ends_with("/guessed");
            // JSON, or the raw file of an upload.
            let described = op["requestBody"]["content"]
                .as_object()
                .is_some_and(|c| c.values().any(|v| v["schema"].is_object()));
            assert_eq!(described, needs_body, "{method} {path}: request body");
        }
    }

    // The check below can fail: a wrong type, a missing field and an undocumented field are caught.
    let me_schema = json!({"$ref": "#/components/schemas/Me"});
    let mut errors = vec![];
    mismatches(
        &doc,
        &me_schema,
        &json!({"id": "7", "email": "a@b.c", "roles": [], "extra": 1}),
        "me",
        &mut errors,
    );
    assert_eq!(errors.len(), 3, "{errors:?}");

    // Real responses, of every documented route but the document itself, against their schemas.
    app.seed_bank([4, 4, 4, 4, 4, 4, 4]).await;
    app.user(
        "all@example.com",
        &[Role::Student, Role::Practitioner, Role::Instructor],
    )
    .await;
    let token = app.api_token("all@example.com").await;
    let mut c = Checked {
        doc: &doc,
        base: app.addr.clone(),
        token,
        http: reqwest::Client::new(),
        seen: Default::default(),
    };
    c.call("GET", "/api/v1/me", "/api/v1/me", None).await;
    let tokens = c
        .call("GET", "/api/v1/tokens", "/api/v1/tokens", None)
        .await;
    let created = c
        .call(
            "POST",
            "/api/v1/tokens",
            "/api/v1/tokens",
            Some(json!({"email": "all@example.com", "password": PASSWORD, "name": "second"})),
        )
        .await;
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 1);
    c.call(
        "DELETE",
        "/api/v1/tokens/{id}",
        &format!("/api/v1/tokens/{}", created["id"]),
        None,
    )
    .await;

    let state = c
        .call(
            "POST",
            "/api/v1/exams",
            "/api/v1/exams",
            Some(json!({"program": "drill", "areas": ["1", "2"], "length": 3})),
        )
        .await;
    let exam = state["id"].as_str().unwrap().to_string();
    let mut state = c
        .call(
            "GET",
            "/api/v1/exams/{id}/current",
            &format!("/api/v1/exams/{exam}/current"),
            None,
        )
        .await;
    while state["finished"] == false {
        let option = crate::helpers::api_option(&state, "Wrong");
        state = c
            .call(
                "POST",
                "/api/v1/exams/{id}/answers",
                &format!("/api/v1/exams/{exam}/answers"),
                Some(json!({"position": state["position"], "option_id": option})),
            )
            .await;
        assert!(state["feedback"].is_object(), "a drill shows feedback");
    }
    c.call(
        "GET",
        "/api/v1/exams/{id}/result",
        &format!("/api/v1/exams/{exam}/result"),
        None,
    )
    .await;
    c.call(
        "GET",
        "/api/v1/exams/{id}/review",
        &format!("/api/v1/exams/{exam}/review?missed=true"),
        None,
    )
    .await;
    let second = c
        .call(
            "POST",
            "/api/v1/exams",
            "/api/v1/exams",
            Some(json!({"program": "drill", "areas": ["3"], "length": 2})),
        )
        .await;
    let second = second["id"].as_str().unwrap();
    c.call(
        "POST",
        "/api/v1/exams/{id}/end",
        &format!("/api/v1/exams/{second}/end"),
        None,
    )
    .await;
    c.call("GET", "/api/v1/exams", "/api/v1/exams", None).await;
    // An error, in the documented error shape.
    let missing = c
        .call(
            "GET",
            "/api/v1/exams/{id}/current",
            "/api/v1/exams/nope/current",
            None,
        )
        .await;
    assert_eq!(missing["error"]["code"], "not_found");

    let page = c
        .call(
            "GET",
            "/api/v1/bank/items",
            "/api/v1/bank/items?limit=2",
            None,
        )
        .await;
    let item = page["items"][0]["id"].as_str().unwrap().to_string();
    c.call(
        "GET",
        "/api/v1/bank/items/{id}",
        &format!("/api/v1/bank/items/{item}"),
        None,
    )
    .await;
    c.call("GET", "/api/v1/bank/stats", "/api/v1/bank/stats", None)
        .await;
    let draft = json!({
        "subarea": "2.D", "level": "recall", "difficulty": "easy", "topics": "shoulder",
        "stem": "Which muscle abducts the arm during the first 15 degrees of abduction?",
        "option_a": "Supraspinatus", "option_b": "Teres minor", "option_c": "Subscapularis", "option_d": "Pectoralis minor",
        "key": "A", "rationale_a": "It initiates abduction.", "rationale_b": "It rotates the arm laterally.",
        "rationale_c": "It rotates the arm medially.", "rationale_d": "It draws the scapula forward.",
        "reference": "Standard kinesiology texts"
    });
    let made = c
        .call(
            "POST",
            "/api/v1/bank/items",
            "/api/v1/bank/items",
            Some(draft.clone()),
        )
        .await;
    let made = made["id"].as_str().unwrap().to_string();
    c.call(
        "PUT",
        "/api/v1/bank/items/{id}",
        &format!("/api/v1/bank/items/{made}"),
        Some(draft),
    )
    .await;
    c.call(
        "POST",
        "/api/v1/bank/items/{id}/transitions",
        &format!("/api/v1/bank/items/{made}/transitions"),
        Some(json!({"action": "submit"})),
    )
    .await;

    c.call(
        "POST",
        "/api/v1/ce/credentials",
        "/api/v1/ce/credentials",
        Some(json!({"rule": "ncbtmb-bctmb", "issued_on": "2025-03-01", "number": "BC-1"})),
    )
    .await;
    c.call(
        "GET",
        "/api/v1/ce/credentials",
        "/api/v1/ce/credentials",
        None,
    )
    .await;
    c.call(
        "POST",
        "/api/v1/ce/activities",
        "/api/v1/ce/activities",
        Some(json!({"title": "Ethics in practice", "completed_on": "2026-02-01", "delivery": "live_online",
                    "hours": 3, "topics": {"ethics": 3}})),
    )
    .await;
    c.call(
        "GET",
        "/api/v1/ce/activities",
        "/api/v1/ce/activities",
        None,
    )
    .await;
    let evaluation = c
        .call(
            "GET",
            "/api/v1/ce/evaluation",
            "/api/v1/ce/evaluation",
            None,
        )
        .await;
    assert!(
        !evaluation["credentials"][0]["requirements"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Questions in and out, and classes.
    let preview = c
        .call_raw(
            "POST",
            "/api/v1/bank/imports",
            "/api/v1/bank/imports?format=aiken",
            "Which muscle initiates abduction of the arm?\nA. Supraspinatus\nB. Teres minor\nC. Subscapularis\nD. Pectoralis minor\nANSWER: A\n",
        )
        .await;
    let import = preview["id"].as_str().unwrap().to_string();
    c.call(
        "GET",
        "/api/v1/bank/imports/{id}",
        &format!("/api/v1/bank/imports/{import}"),
        None,
    )
    .await;
    c.call(
        "POST",
        "/api/v1/bank/imports/{id}/confirm",
        &format!("/api/v1/bank/imports/{import}/confirm"),
        Some(json!({"choices": {"0": "2.D"}})),
    )
    .await;
    let again = c
        .call_raw(
            "POST",
            "/api/v1/bank/imports",
            "/api/v1/bank/imports?format=aiken",
            "Q?\nA. a\nB. b\nC. c\nD. d\nANSWER: B\n",
        )
        .await;
    let again = again["id"].as_str().unwrap().to_string();
    c.call(
        "DELETE",
        "/api/v1/bank/imports/{id}",
        &format!("/api/v1/bank/imports/{again}"),
        None,
    )
    .await;
    c.call(
        "GET",
        "/api/v1/bank/export",
        "/api/v1/bank/export?format=qti3",
        None,
    )
    .await;
    c.call("GET", "/api/v1/classes", "/api/v1/classes", None)
        .await;
    let r = c
        .call(
            "POST",
            "/api/v1/classes/join",
            "/api/v1/classes/join",
            Some(json!({"code": "NOSUCH99"})),
        )
        .await;
    assert_eq!(r["error"]["field"], "code");
    let teacher = app
        .logged_in("api-teacher@example.com", &[Role::Instructor])
        .await;
    let r = teacher
        .submit(
            "/classes",
            "/classes",
            &[
                ("name", "API class"),
                ("term", "Fall"),
                ("exam_target", "mblex"),
            ],
        )
        .await;
    let class = r
        .location
        .unwrap()
        .trim_start_matches("/classes/")
        .to_string();
    let page = teacher.get(&format!("/classes/{class}")).await;
    let code = page
        .body
        .split("<strong class=\"code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    c.call(
        "POST",
        "/api/v1/classes/join",
        "/api/v1/classes/join",
        Some(json!({"code": code})),
    )
    .await;
    c.call(
        "GET",
        "/api/v1/classes/{id}/me",
        &format!("/api/v1/classes/{class}/me"),
        None,
    )
    .await;
    c.call(
        "GET",
        "/api/v1/classes/{id}/gradebook",
        &format!("/api/v1/classes/{class}/gradebook"),
        None,
    )
    .await;

    // The public directory.
    let therapist = app
        .logged_in("api-therapist@example.com", &[Role::Practitioner])
        .await;
    let form = [
        ("display_name", "Api Therapist"),
        ("city", "Austin"),
        ("state", "TX"),
        ("zip", "78701"),
        ("techniques", "swedish"),
    ];
    assert_eq!(
        therapist
            .submit("/directory", "/directory", &form)
            .await
            .status(),
        303
    );
    assert_eq!(
        therapist
            .submit("/directory", "/directory/publish", &[])
            .await
            .status(),
        303
    );
    let found = c
        .call(
            "GET",
            "/api/v1/therapists",
            "/api/v1/therapists?place=78701&technique=swedish",
            None,
        )
        .await;
    let slug = found["results"][0]["slug"].as_str().unwrap().to_string();
    let r = c
        .call(
            "GET",
            "/api/v1/therapists",
            "/api/v1/therapists?place=00000",
            None,
        )
        .await;
    assert_eq!(r["error"]["field"], "place");
    c.call(
        "GET",
        "/api/v1/therapists/vocabulary",
        "/api/v1/therapists/vocabulary",
        None,
    )
    .await;
    c.call(
        "GET",
        "/api/v1/therapists/{slug}",
        &format!("/api/v1/therapists/{slug}"),
        None,
    )
    .await;
    c.call(
        "GET",
        "/api/v1/therapists/{slug}",
        "/api/v1/therapists/nobody-here",
        None,
    )
    .await;

    crate::api_study::study_routes(&mut c, &exam).await;

    let unchecked: Vec<_> = registered
        .difference(&c.seen)
        .filter(|(_, p)| !p.ends_with("openapi.json"))
        .collect();
    assert!(
        unchecked.is_empty(),
        "no response checked for {unchecked:?}"
    );
}

db_tests!(
    api_token_life_cycle,
    tokens_from_the_account_page,
    openapi_document_matches_the_routes_and_the_responses
);
