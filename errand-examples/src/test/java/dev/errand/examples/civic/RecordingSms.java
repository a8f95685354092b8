package dev.errand.examples.civic;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An SMS gateway for tests: fails its first {@code failures} sends, then records every text. */
final class RecordingSms implements SmsSender {
  private static final Pattern CODE = Pattern.compile("(\\d{6})");
  private final int failures;
  private final AtomicInteger calls = new AtomicInteger();
  private final List<String> texts = new CopyOnWriteArrayList<>();
  private final Map<String, String> codes = new ConcurrentHashMap<>();

  private RecordingSms(int failures) {
    this.failures = failures;
  }

  static RecordingSms working() {
    return new RecordingSms(0);
  }

  static RecordingSms failingFirst(int failures) {
    return new RecordingSms(failures);
  }

  static RecordingSms alwaysFailing() {
    return new RecordingSms(Integer.MAX_VALUE);
  }

  @Override
  public void send(String phone, String text) throws Exception {
    if (calls.incrementAndGet() <= failures) {
      throw new java.io.IOException("SMS gateway unavailable (test failure " + calls.get() + ")");
    }
    texts.add(phone + ": " + text);
    Matcher m = CODE.matcher(text);
    if (m.find()) {
      codes.put(phone, m.group(1));
    }
  }

  int calls() {
    return calls.get();
  }

  List<String> texts() {
    return List.copyOf(texts);
  }

  /** The last code sent to {@code phone}, or null. */
  String code(String phone) {
    return codes.get(phone);
  }
}
