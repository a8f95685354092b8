package dev.errand.examples.bugtracker;

/**
 * One notification to one recipient, as channels send it.
 *
 * @param recipientId the user it is for
 * @param kind {@code mention}, {@code severity_changed}, {@code session_started}, {@code
 *     session_ended} or {@code role_changed}
 * @param message what happened, in a sentence
 * @param bugId the bug concerned, or null
 */
public record Notification(String recipientId, String kind, String message, Long bugId) {}
