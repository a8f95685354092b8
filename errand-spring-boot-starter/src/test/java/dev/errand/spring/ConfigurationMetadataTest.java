package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The configuration metadata IDEs read from the jar: every {@code errand.*} property is there with
 * a description, the defaults are the real ones, and the health switch is listed.
 */
class ConfigurationMetadataTest {
  private static Map<String, JsonNode> properties() throws Exception {
    try (InputStream in =
        ConfigurationMetadataTest.class.getResourceAsStream(
            "/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("spring-configuration-metadata.json in the jar").isNotNull();
      Map<String, JsonNode> byName = new HashMap<>();
      new ObjectMapper()
          .readTree(in)
          .get("properties")
          .forEach(p -> byName.put(p.get("name").asText(), p));
      return byName;
    }
  }

  @Test
  void every_errand_property_has_a_description() throws Exception {
    Map<String, JsonNode> props = properties();
    assertThat(props.keySet())
        .contains(
            "errand.queues",
            "errand.lease",
            "errand.store",
            "errand.schema-mode",
            "errand.sqlite.require-immediate-transactions",
            "errand.after-response.saturation",
            "management.health.errand.enabled");
    props.forEach(
        (name, p) -> {
          if (name.startsWith("errand.")) {
            assertThat(p.path("description").asText()).as(name).isNotBlank();
          }
        });
  }

  @Test
  void defaults_in_the_metadata_are_the_engine_defaults() throws Exception {
    Map<String, JsonNode> props = properties();
    assertThat(props.get("errand.lease").get("defaultValue").asText()).isEqualTo("15s");
    assertThat(props.get("errand.retention.failed").get("defaultValue").asText()).isEqualTo("14d");
    assertThat(props.get("errand.store").get("defaultValue").asText()).isEqualTo("auto");
    assertThat(props.get("errand.after-response.threads").get("defaultValue").asInt()).isEqualTo(4);
  }
}
