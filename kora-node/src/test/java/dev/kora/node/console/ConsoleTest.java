package dev.kora.node.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.client.connection.KoraConnection;
import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestCredentials;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The browser console end to end: a real node on a real port, Debian's headless Chromium driven by
 * Selenium through Debian's chromedriver (never a downloaded one), and another client writing over
 * the WebSocket. Screenshots land in {@code target/console-screenshots/}.
 */
class ConsoleTest {

  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final File SCREENSHOTS = new File("target/console-screenshots");
  /** Children of {@code cities} seeded: many pages of 50. */
  private static final int CITIES = 3_000;

  private Vertx vertx;
  /** Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable. */
  private HttpClient http;
  private KoraConnection writer;
  private KoraNode node;
  private WebDriver browser;
  /** The browser's fresh profile. */
  @TempDir
  java.nio.file.Path profile;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    vertx.close().await();
  }

  private record Answer(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private Answer request(HttpMethod method, String uri, String token, String body) {
    RequestOptions request = new RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(node.actualPort()).setURI(uri);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    try {
      return send(request, body);
    } catch (java.util.concurrent.CompletionException e) {
      if (!(e.getCause() instanceof TimeoutException)) {
        throw e;
      }
      // About one request in 500 to 800 sent with Vert.x's HttpClient from a test thread gets no
      // answer, also with plain GET /tree on the base of this branch, while 4,000 sent with the
      // JDK's client all are (reported with this branch): the same request sent again is
      // answered. Every request here may be sent twice (reads, refusals, a PUT of one value).
      return send(request, body);
    }
  }

  private Answer send(RequestOptions request, String body) {
    return http.request(request).compose(r -> body == null ? r.send() : r.send(body))
        .compose(response -> response.body().map(data -> new Answer(response.statusCode(),
            data.toString())))
        .toCompletionStage().toCompletableFuture().orTimeout(8, TimeUnit.SECONDS).join();
  }

  private Answer get(String uri, String token) {
    return request(HttpMethod.GET, uri, token, null);
  }

  private static List<String> keys(JsonObject page) {
    return page.getJsonArray("children").stream()
        .map(child -> ((JsonObject) child).getString("key")).toList();
  }

  private void seed() {
    JsonObject cities = new JsonObject();
    for (int i = 0; i < CITIES; i++) {
      cities.put(String.format("%06d", i), new JsonObject().put("name", "City " + i)
          .put("country", i % 2 == 0 ? "BR" : "US").put("population", 1_000 + i));
    }
    node.merge(Path.of("cities"), cities).await();
    node.merge(Path.of("todos"), new JsonObject().put("t1", new JsonObject()
        .put("title", "milk").put("done", false))).await();
  }

  @Test
  void theApiIsClosedWithoutTheNodesAdminToken() {
    node = TestNodes.start(vertx).await();
    seed();
    String admin = node.adminToken();
    assertNotNull(admin, "a node without authentication makes an admin token");
    assertTrue(admin.length() >= 40, "a random token of 256 bits: " + admin);

    for (String uri : List.of("/console/api/whoami", "/console/api/children/cities",
        "/console/api/tree/cities/000001", "/console/api/metrics", "/console/api/events")) {
      Answer none = get(uri, null);
      assertEquals(401, none.status(), uri + " without a token: " + none.body());
      assertEquals("unauthenticated", none.json().getString("code"));
      assertFalse(none.body().contains("City"), "no data in a refusal");
      assertEquals(401, get(uri, admin + "x").status(), uri + " with a wrong token");
      assertEquals(401, get(uri, admin.substring(1)).status(), uri + " with a shorter token");
    }
    assertEquals(401, request(HttpMethod.PUT, "/console/api/tree/cities/000001/name", null,
        "\"x\"").status());
    assertEquals(401, request(HttpMethod.DELETE, "/console/api/tree/cities", "nope", null)
        .status());
    assertEquals(401, request(HttpMethod.POST, "/console/api/watch", null,
        "{\"stream\": \"s\", \"path\": [\"cities\"]}").status());
    assertEquals("City 1", node.query(Query.of(Path.of("cities", "000001"), QueryOptions.WHOLE))
        .await().merge().getJsonObject("cities").getJsonObject("000001").getString("name"),
        "nothing was written by the refused requests");

    // the page itself holds no data: the same for everyone
    Answer page = get("/console/", null);
    assertEquals(200, page.status());
    assertTrue(page.body().contains("login-form"));
    assertFalse(page.body().contains("City"));

    // with the token: one page of the children, their subtrees not read
    Answer first = get("/console/api/children/cities?limit=50", admin);
    assertEquals(200, first.status(), first.body());
    JsonArray children = first.json().getJsonArray("children");
    assertEquals(50, children.size());
    assertEquals(new JsonObject().put("key", "000000").put("branch", true),
        children.getJsonObject(0));
    assertEquals("000050", first.json().getString("next"));
    JsonObject last = get("/console/api/children/cities?min=002990&limit=50", admin).json();
    assertEquals(10, last.getJsonArray("children").size());
    assertNull(last.getString("next"));
    JsonObject bounded = get("/console/api/children/cities?min=000010&max=000013&limit=50", admin)
        .json();
    assertEquals(List.of("000010", "000011", "000012"), keys(bounded), "max is excluded");
    assertNull(bounded.getString("next"));
    assertEquals(List.of(), keys(get("/console/api/children/cities/000007/name?limit=5", admin)
        .json()), "a leaf has no children");
    assertEquals(List.of(), keys(get("/console/api/children/nowhere?limit=5", admin).json()));
    JsonObject city = get("/console/api/children/cities/000007?limit=10", admin).json();
    assertEquals(new JsonArray().add(new JsonObject().put("key", "country").put("value", "US"))
        .add(new JsonObject().put("key", "name").put("value", "City 7"))
        .add(new JsonObject().put("key", "population").put("value", 1007)),
        city.getJsonArray("children"));
    JsonObject root = get("/console/api/children?limit=10", admin).json();
    assertFalse(node.query(Query.of(Path.of("kora:log"), new QueryOptions(null, null, 1, false)))
        .await().merge().isEmpty(), "the node keeps reserved keys at the root");
    assertEquals(List.of("cities", "todos"), keys(root),
        "the root lists its keys, the reserved kora:* ones left out");
    Answer noLimit = get("/console/api/children/cities?limit=0", admin);
    assertEquals(400, noLimit.status());
    assertEquals("invalid_query", noLimit.json().getString("code"));
    Answer reserved = get("/console/api/children/kora:log?limit=5", admin);
    assertEquals(403, reserved.status(), "reserved paths stay closed: " + reserved.body());
    Answer badWatch = request(HttpMethod.POST, "/console/api/watch", admin, "[1]");
    assertEquals(400, badWatch.status(), badWatch.body());
    assertEquals(404, request(HttpMethod.POST, "/console/api/watch", admin,
        "{\"stream\": \"unknown\", \"path\": [\"cities\"]}").status());

    // writes through the console's tree routes, read back through the node
    assertEquals(200, request(HttpMethod.PUT, "/console/api/tree/todos/t2", admin,
        "{\"title\": \"bread\"}").status());
    assertEquals("bread", node.query(Query.of(Path.of("todos", "t2"), QueryOptions.WHOLE)).await()
        .merge().getJsonObject("todos").getJsonObject("t2").getString("title"));
    Answer badJson = request(HttpMethod.PUT, "/console/api/tree/todos/t3", admin, "{nope");
    assertEquals(400, badJson.status());
    assertEquals("invalid_json", badJson.json().getString("code"));
    JsonObject glance = get("/console/api/metrics", admin).json();
    assertTrue(glance.getDouble("mutationsCommitted") >= 3, glance.encode());
  }

  @Test
  void onANodeWithAuthenticationOnlyTokensWithTheAdminClaimOpenIt() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setAuth(new JwtOptions()
        .setHmacSecret(TestCredentials.SECRET))).await();
    assertNull(node.adminToken(), "no generated token when tokens are verified");
    String user = TestCredentials.hmacToken(vertx, TestCredentials.SECRET,
        new JsonObject().put("sub", "u"));
    String admin = TestCredentials.hmacToken(vertx, TestCredentials.SECRET,
        new JsonObject().put("sub", "ops").put("kora_admin", true));
    String forged = TestCredentials.hmacToken(vertx, "another-secret-of-at-least-32-bytes!!",
        new JsonObject().put("sub", "ops").put("kora_admin", true));
    assertEquals(401, get("/console/api/whoami", null).status());
    assertEquals(401, get("/console/api/whoami", forged).status());
    Answer denied = get("/console/api/whoami", user);
    assertEquals(403, denied.status());
    assertEquals("denied", denied.json().getString("code"));
    assertEquals(403, get("/console/api/children?limit=5", user).status());
    Answer whoami = get("/console/api/whoami", admin);
    assertEquals(200, whoami.status(), whoami.body());
    assertEquals("ops", whoami.json().getString("user"));
    assertEquals(200, get("/console/api/children?limit=5", admin).status());
  }

  @Test
  void inChromiumAnAdministratorBrowsesWatchesAndEdits() throws IOException {
    node = TestNodes.start(vertx).await();
    seed();
    writer = KoraConnection.connect(vertx, "ws://127.0.0.1:" + node.actualPort() + "/socket")
        .await();
    browser = chromium();
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    String console = "http://127.0.0.1:" + node.actualPort() + "/console/";

    // a visitor without the token sees the login form and no data; a wrong token is refused
    browser.get(console);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-form")));
    assertFalse(browser.findElement(By.id("app")).isDisplayed());
    browser.findElement(By.id("token")).sendKeys("not-the-token");
    browser.findElement(By.id("login-button")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("login-error"),
        "admin token"));
    assertFalse(browser.findElement(By.id("app")).isDisplayed());
    assertTrue(browser.findElements(By.cssSelector("#tree li")).isEmpty());
    assertFalse(browser.getPageSource().contains("City 1"));
    screenshot("1-refused");

    // the administrator logs in with the token of the start line
    browser.findElement(By.id("token")).clear();
    browser.findElement(By.id("token")).sendKeys(node.adminToken());
    browser.findElement(By.id("login-button")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    WebElement citiesKey = wait.until(ExpectedConditions.elementToBeClickable(
        item("cities", ">.line>.key")));
    citiesKey.click();
    wait.until(ExpectedConditions.numberOfElementsToBe(children("cities"), 50));
    wait.until(ExpectedConditions.elementToBeClickable(
        By.cssSelector(node("cities") + ">ul>li.more button"))).click();
    wait.until(ExpectedConditions.numberOfElementsToBe(children("cities"), 100));
    wait.until(ExpectedConditions.elementToBeClickable(item("cities\",\"000001", ">.line>.key")))
        .click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        item("cities\",\"000001\",\"name", ">.line>.value"), "\"City 1\""));
    screenshot("2-cities");

    // another client writes: the open paths follow
    writer.call("kora.mutation", new JsonObject().put("merge", new JsonObject().put("cities",
        new JsonObject().put("000001", new JsonObject().put("name", "Vila Velha"))
            .put("000050x", new JsonObject().put("name", "New Town"))
            .put("002500x", new JsonObject().put("name", "Far Town"))))).await();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        item("cities\",\"000001\",\"name", ">.line>.value"), "\"Vila Velha\""));
    wait.until(ExpectedConditions.presenceOfElementLocated(item("cities\",\"000050x", "")));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("m-connections"), "1"));
    screenshot("3-live");

    // edit a value in the browser and read it back through the node
    WebElement population = browser.findElement(item("cities\",\"000001\",\"population", ""));
    new Actions(browser).moveToElement(population).perform();
    population.findElement(By.cssSelector(".act-edit")).click();
    assertEquals("cities/000001/population",
        browser.findElement(By.id("edit-path")).getDomProperty("value"));
    browser.findElement(By.id("edit-value")).clear();
    browser.findElement(By.id("edit-value")).sendKeys("4242");
    browser.findElement(By.id("edit-save")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("edit-status"),
        "saved cities/000001/population"));
    JsonObject read = (JsonObject) writer.call("kora.query", new JsonObject().put("cities",
        new JsonObject().put("000001", new JsonObject()))).await();
    assertEquals(4242, read.getJsonObject("merge").getJsonObject("cities")
        .getJsonObject("000001").getInteger("population"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        item("cities\",\"000001\",\"population", ">.line>.value"), "4242"));
    // (by now the push of the cities above is long applied)
    assertTrue(browser.findElements(item("cities\",\"002500x", "")).isEmpty(),
        "a new city beyond the pages loaded is not shown");
    assertEquals(101, browser.findElements(children("cities")).size());

    // bad JSON is refused in the page, nothing written
    browser.findElement(By.id("edit-value")).clear();
    browser.findElement(By.id("edit-value")).sendKeys("{oops");
    browser.findElement(By.id("edit-save")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("edit-status"),
        "not JSON"));

    // a query with min and limit
    browser.findElement(By.id("q-path")).sendKeys("cities");
    browser.findElement(By.id("q-min")).sendKeys("000100");
    browser.findElement(By.id("q-limit")).clear();
    browser.findElement(By.id("q-limit")).sendKeys("3");
    browser.findElement(By.id("q-run")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("q-result"), "000102"));
    JsonObject result = new JsonObject(browser.findElement(By.id("q-result")).getText());
    assertEquals(List.of("000100", "000101", "000102"), List.copyOf(result.fieldNames()));

    // delete through the page
    WebElement added = browser.findElement(item("cities\",\"000050x", ""));
    new Actions(browser).moveToElement(added).perform();
    added.findElement(By.cssSelector(".act-delete")).click();
    wait.until(ExpectedConditions.alertIsPresent()).accept();
    wait.until(ExpectedConditions.numberOfElementsToBe(item("cities\",\"000050x", ""), 0));
    assertTrue(node.query(Query.of(Path.of("cities", "000050x"), QueryOptions.WHOLE)).await()
        .merge().isEmpty(), "deleted in the node");
    screenshot("4-edited");

    // logged out, the page shows nothing again
    browser.findElement(By.id("logout")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-form")));
    browser.navigate().refresh();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-form")));
    assertFalse(browser.findElement(By.id("app")).isDisplayed());

    // the start line's link: the token in the fragment logs in, and leaves the address bar
    browser.get(console + "#token=" + node.adminToken());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    wait.until(ExpectedConditions.presenceOfElementLocated(item("cities", "")));
    assertFalse(browser.getCurrentUrl().contains(node.adminToken()), browser.getCurrentUrl());
  }

  /** Debian's chromium and chromedriver, named explicitly so that Selenium Manager never runs. */
  private WebDriver chromium() {
    assertTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
        "needs Debian's chromium and chromium-driver: scripts/services/chromium.sh installs them");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
        "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  private static String node(String pathInside) {
    return "li.node[data-path='[\"" + pathInside + "\"]']";
  }

  private static By item(String pathInside, String below) {
    return By.cssSelector(node(pathInside) + below);
  }

  private static By children(String pathInside) {
    return By.cssSelector(node(pathInside) + ">ul>li.node");
  }

  private void screenshot(String name) throws IOException {
    SCREENSHOTS.mkdirs();
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), new File(SCREENSHOTS, name + ".png").toPath(),
        StandardCopyOption.REPLACE_EXISTING);
  }
}
