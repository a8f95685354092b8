package dev.errand.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostRuleTest {
  @Test
  void an_empty_list_allows_every_host() {
    assertThat(HostRule.of(List.of()).allows("anything.example")).isTrue();
  }

  @Test
  void exact_names_and_ip_literals_match_case_insensitively() {
    HostRule r = HostRule.of(List.of("API.example.com", "10.0.0.5", "[::1]"));
    assertThat(r.allows("api.EXAMPLE.com")).isTrue();
    assertThat(r.allows("10.0.0.5")).isTrue();
    assertThat(r.allows("[::1]")).isTrue();
    assertThat(r.allows("api.example.com.evil.net")).isFalse();
    assertThat(r.allows("10.0.0.50")).isFalse();
  }

  @Test
  void a_wildcard_matches_subdomains_only() {
    HostRule r = HostRule.of(List.of("*.internal.example.com"));
    assertThat(r.allows("tasks.internal.example.com")).isTrue();
    assertThat(r.allows("a.b.internal.example.com")).isTrue();
    assertThat(r.allows("internal.example.com")).isFalse();
    assertThat(r.allows("evilinternal.example.com")).isFalse();
  }

  @Test
  void entries_that_are_not_hosts_are_rejected_by_name() {
    assertThatThrownBy(() -> HostRule.of(List.of("https://x.example")))
        .hasMessageContaining("'https://x.example' is not a host name");
    assertThatThrownBy(() -> HostRule.of(List.of("a.*.example")))
        .hasMessageContaining("'a.*.example'");
    assertThatThrownBy(() -> HostRule.of(List.of("*"))).hasMessageContaining("'*'");
  }
}
