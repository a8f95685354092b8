package dev.errand;

import java.time.Duration;
import java.util.Map;

/**
 * The scheduler's effective configuration, validated by {@link Errand.Builder}.
 *
 * @param enabled whether this node runs the scheduler (and serves the maintenance queue)
 * @param interval how often it looks for schedules whose window needs topping up
 * @param misfireThreshold how late a fire time may be and still run as usual
 * @param maxStartAge how far in the past a new schedule may start
 * @param maintenance the built-in schedules by name
 */
record SchedulerSettings(
    boolean enabled,
    Duration interval,
    Duration misfireThreshold,
    Duration maxStartAge,
    Map<String, Schedule> maintenance) {}
