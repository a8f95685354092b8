package dev.errand.spring.app;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** What the application's handlers ran, in the order they ran it. */
public class Ran {
  public final List<String> welcomed = new CopyOnWriteArrayList<>();
  public final List<Report> reports = new CopyOnWriteArrayList<>();
}
