package dev.kora.examples.jobs;

import dev.kora.interceptors.Effect;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.Session;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A test plugin with one durable effect: every write of {@code tasks/<id>} stores a job
 * {@value #JOB} with {@code {"id": <id>}}. What the job does is up to the test: hang, fail, or record
 * that it ran.
 */
public final class TaskJobsPlugin implements KoraPlugin {

  /** The job's name. */
  public static final String JOB = "task.run";

  private final EffectHandler.Job behaviour;

  /** @param behaviour what each run of a job does */
  public TaskJobsPlugin(EffectHandler.Job behaviour) {
    this.behaviour = behaviour;
  }

  @Override
  public List<Interceptor> interceptors() {
    return List.of(new Interceptor() {
      private final PathPattern pattern = PathPattern.parse("tasks/{id}");

      @Override
      public PathPattern pattern() {
        return pattern;
      }

      @Override
      public List<Effect> effect(MutationLayer layer, Session session) {
        if (layer.capture("id") == null || layer.mergeObject() == null) {
          return List.of();
        }
        return List.of(Effect.of(JOB, new JsonObject().put("id", layer.capture("id"))));
      }
    });
  }

  @Override
  public List<EffectHandler> effectHandlers() {
    return List.of(EffectHandler.of(JOB, behaviour));
  }
}
