package dev.errand.server.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The first bytes of a response body, decoded as UTF-8 (malformed bytes replaced). Reading stops
 * after {@code limit} bytes, so a huge or endless body never fills memory.
 */
record Excerpt(String text, boolean truncated) {

  /** A body subscriber that keeps at most {@code limit} bytes and then cancels the stream. */
  static HttpResponse.BodySubscriber<Excerpt> subscriber(int limit) {
    return new Collector(limit);
  }

  private static final class Collector implements HttpResponse.BodySubscriber<Excerpt> {
    private final CompletableFuture<Excerpt> result = new CompletableFuture<>();
    private final ByteBuffer kept;
    private Flow.Subscription subscription;
    private boolean done; // signals are serialized (Flow rule §1.3), so no lock is needed

    Collector(int limit) {
      this.kept = ByteBuffer.allocate(limit);
    }

    @Override
    public CompletionStage<Excerpt> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (done) {
        return; // a late delivery after cancel()
      }
      for (ByteBuffer b : items) {
        if (b.remaining() > kept.remaining()) {
          b.limit(b.position() + kept.remaining());
          kept.put(b);
          done = true;
          subscription.cancel();
          result.complete(decode(true));
          return;
        }
        kept.put(b);
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      if (!done) {
        done = true;
        result.complete(decode(false));
      }
    }

    private Excerpt decode(boolean truncated) {
      kept.flip();
      try {
        String s =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .decode(kept)
                .toString();
        return new Excerpt(s, truncated);
      } catch (java.nio.charset.CharacterCodingException e) {
        throw new IllegalStateException("UTF-8 decoding with replacement cannot fail", e);
      }
    }
  }
}
