package dev.errand;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** errand-core knows no JDBC driver, HTTP server or framework; the arrows point one way. */
class ArchitectureTest {
  private final JavaClasses core =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.errand");

  @Test
  void core_depends_on_no_store_web_or_framework_code() {
    noClasses()
        .that()
        .resideInAPackage("dev.errand..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.errand.jdbc..",
            "dev.errand.web..",
            "dev.errand.server..",
            "org.sqlite..",
            "org.postgresql..",
            "com.zaxxer..",
            "io.javalin..",
            "org.springframework..",
            "jakarta.servlet..")
        .check(core);
  }

  @Test
  void spi_does_not_depend_on_engine_internals() {
    noClasses()
        .that()
        .resideInAPackage("dev.errand.spi..")
        .should()
        .dependOnClassesThat()
        .haveSimpleName("Errand")
        .check(core);
  }
}
