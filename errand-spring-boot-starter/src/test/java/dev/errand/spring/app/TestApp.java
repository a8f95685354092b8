package dev.errand.spring.app;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/** A small application on Errand: sign-ups that send a welcome email, and reports. */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({Signups.class, WelcomeEmails.class, Reports.class, Audits.class, Ran.class})
public class TestApp {}
