package dev.errand.web;

/** What an endpoint answers: a status and a body written as JSON. */
record Reply(int status, Object body) {
  static Reply ok(Object body) {
    return new Reply(200, body);
  }

  static Reply created(Object body) {
    return new Reply(201, body);
  }
}
