import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Jobs run pods to completion; CronJobs make Jobs on a schedule the cron parser accepts.
@Suite struct ValidationBatchTests {
    static let template = "spec.template.spec"

    static let jobs: [Change<Job>] = [
        Change("pods that always restart", [.required("\(template).restartPolicy")]) {
            $0.spec?.template?.spec?.restartPolicy = "Always"
        },
        Change("pods restarting on failure", []) { $0.spec?.template?.spec?.restartPolicy = "OnFailure" },
        Change("negative parallelism", [.invalid("spec.parallelism")]) { $0.spec?.parallelism = -1 },
        Change("negative completions", [.invalid("spec.completions")]) { $0.spec?.completions = -1 },
        Change("negative backoff", [.invalid("spec.backoffLimit")]) { $0.spec?.backoffLimit = -1 },
        Change("negative deadline", [.invalid("spec.activeDeadlineSeconds")]) { $0.spec?.activeDeadlineSeconds = -1 },
        Change("completion mode unknown", [.notSupported("spec.completionMode")]) { $0.spec?.completionMode = "Sometimes" },
        Change("Indexed without completions", [.required("spec.completions")]) {
            $0.spec?.completionMode = "Indexed"
            $0.spec?.completions = nil
        },
        Change("Indexed with completions", []) {
            $0.spec?.completionMode = "Indexed"
            $0.spec?.completions = 5
        },
        Change("Indexed pods whose names outgrow a DNS label", [.invalid("metadata.name")]) {
            $0.metadata?.name = String(repeating: "p", count: 60)
            $0.spec?.completionMode = "Indexed"
            $0.spec?.completions = 1000
        },
        Change("selector generated later", []) { $0.spec?.selector = nil },
        Change("manual selector missing", [.required("spec.selector")]) { $0.spec?.manualSelector = true },
        Change("manual selector missing the template", [.invalid("spec.template.metadata.labels")]) {
            $0.spec?.manualSelector = true
            $0.spec?.selector = SkiffWire.LabelSelector(matchLabels: ["job-name": "other"])
        },
        Change("manual selector matching the template", []) {
            $0.spec?.manualSelector = true
            $0.spec?.selector = SkiffWire.LabelSelector(matchLabels: ["job-name": "pi"])
        },
        Change("failure policy with restarting pods", [.invalid("\(template).restartPolicy")]) {
            $0.spec?.template?.spec?.restartPolicy = "OnFailure"
            $0.spec?.podFailurePolicy = PodFailurePolicy(rules: [PodFailurePolicyRule(
                action: "FailJob", onExitCodes: PodFailurePolicyOnExitCodesRequirement(operator: "In", values: [42]))])
        },
        Change("failure policy rule without a condition", [.invalid("spec.podFailurePolicy.rules[0]")]) {
            $0.spec?.podFailurePolicy = PodFailurePolicy(rules: [PodFailurePolicyRule(action: "Ignore")])
        },
        Change("template without containers", [.required("\(template).containers")]) { $0.spec?.template?.spec?.containers = [] },
    ]

    @Test(arguments: jobs)
    func creatingJobs(_ change: Change<Job>) {
        expectCreate(change.applied(to: Fixtures.job), change.expected)
    }

    static let jobUpdates: [Change<Job>] = [
        Change("more parallelism", []) { $0.spec?.parallelism = 3 },
        Change("suspended", []) { $0.spec?.suspend = true },
        Change("another image", [.invalid("spec.template")]) { $0.spec?.template?.spec?.containers[0].image = "perl:5.36" },
        Change("more completions", [.invalid("spec.completions")]) { $0.spec?.completions = 4 },
        Change("another completion mode",
               [.invalid("spec.completionMode"), .required("spec.completions"), .invalid("spec.completions")]) {
            $0.spec?.completionMode = "Indexed"
            $0.spec?.completions = nil
        },
    ]

    @Test(arguments: jobUpdates)
    func updatingJobs(_ change: Change<Job>) {
        expectUpdate(change.applied(to: Fixtures.job), from: Fixtures.job, change.expected)
    }

    @Test func aSuspendedJobThatNeverRanMayMoveElsewhere() {
        let old = with(Fixtures.job) { $0.spec?.suspend = true }
        let steered = with(old) {
            $0.spec?.template?.spec?.nodeSelector = ["zone": "b"]
            $0.spec?.template?.spec?.tolerations = [Toleration(key: "spot", operator: "Exists")]
            $0.spec?.template?.metadata?.annotations["queue"] = "batch"
        }
        expectUpdate(steered, from: old, [])
        expectUpdate(with(steered) { $0.spec?.template?.spec?.containers[0].image = "perl:5.36" }, from: old,
                     [.invalid("spec.template")])
        let started = with(old) { $0.status = JobStatus(startTime: Time(seconds: 1_700_000_500)) }
        expectUpdate(with(steered) { $0.status = started.status }, from: started, [.invalid("spec.template")])
    }

    @Test(arguments: [
        ("*/5 * * * *", nil),
        ("0 0 1 1 *", nil),
        ("0 9 * * mon-fri", nil),
        ("15,45 */2 1-15 jan-jun 0", nil),
        ("@hourly", nil),
        ("@every 1h30m", nil),
        ("TZ=UTC 0 9 * * *", nil),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"),
        ("* * * * funday", "failed to parse int from funday: strconv.Atoi: parsing \"funday\": invalid syntax"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ] as [(String, String?)])
    func schedules(_ schedule: String, _ problem: String?) {
        let errors = Validation.validateCreate(with(Fixtures.cronJob) { $0.spec?.schedule = schedule })
        #expect(errors.map(\.description) == problem.map { ["spec.schedule: Invalid value: \"\(schedule)\": \($0)"] } ?? [])
    }

    static let cronJobs: [Change<CronJob>] = [
        Change("no schedule", [.required("spec.schedule")]) { $0.spec?.schedule = "" },
        Change("concurrency unknown", [.notSupported("spec.concurrencyPolicy")]) { $0.spec?.concurrencyPolicy = "Queue" },
        Change("concurrency not defaulted", [.required("spec.concurrencyPolicy")]) { $0.spec?.concurrencyPolicy = nil },
        Change("negative starting deadline", [.invalid("spec.startingDeadlineSeconds")]) { $0.spec?.startingDeadlineSeconds = -10 },
        Change("negative history", [.invalid("spec.failedJobsHistoryLimit")]) { $0.spec?.failedJobsHistoryLimit = -1 },
        Change("an explicit time zone", []) { $0.spec?.timeZone = "Europe/Paris" },
        Change("an unknown time zone", [.invalid("spec.timeZone")]) { $0.spec?.timeZone = "Mars/Olympus_Mons" },
        Change("the local time zone", [.invalid("spec.timeZone")]) { $0.spec?.timeZone = "Local" },
        Change("a zone both in the schedule and the field", [.invalid("spec.schedule")]) {
            $0.spec?.schedule = "TZ=UTC 0 9 * * *"
            $0.spec?.timeZone = "UTC"
        },
        Change("a job template with a selector", [.invalid("spec.jobTemplate.spec.selector")]) {
            $0.spec?.jobTemplate?.spec?.selector = Fixtures.selector
        },
        Change("job pods that always restart", [.required("spec.jobTemplate.spec.template.spec.restartPolicy")]) {
            $0.spec?.jobTemplate?.spec?.template?.spec?.restartPolicy = "Always"
        },
        Change("no job template", [.required("spec.jobTemplate")]) { $0.spec?.jobTemplate = nil },
        Change("a name too long for its jobs' names", [.invalid("metadata.name")]) {
            $0.metadata?.name = String(repeating: "c", count: 53)
        },
    ]

    @Test(arguments: cronJobs)
    func creatingCronJobs(_ change: Change<CronJob>) {
        expectCreate(change.applied(to: Fixtures.cronJob), change.expected)
    }

    @Test func aLongCronJobNameIsKeptOnUpdate() {
        let old = with(Fixtures.cronJob) { $0.metadata?.name = String(repeating: "c", count: 53) }
        expectUpdate(with(old) { $0.spec?.suspend = true }, from: old, [])
    }
}
