/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  subscription JobFeed {\n    jobUpdated {\n      ...JobSummary\n    }\n  }\n": typeof types.JobFeedDocument,
    "\n  query ActiveJobs {\n    jobs(status: [QUEUED, RUNNING], first: 500) {\n      totalCount\n      nodes {\n        id\n        status\n      }\n    }\n  }\n": typeof types.ActiveJobsDocument,
    "\n  fragment AnalysisResult on Analysis {\n    imageId\n    fromCache\n    original {\n      format\n      width\n      height\n    }\n    faceMethod\n    cropPngBase64\n    crop {\n      x\n      y\n      size\n      padded\n    }\n    predictions {\n      label\n      score\n    }\n    model {\n      id\n      path\n      sha256\n    }\n    timings {\n      decodeMs\n      preprocessMs\n      inferenceMs\n      totalMs\n    }\n  }\n": typeof types.AnalysisResultFragmentDoc,
    "\n  mutation ValidateImage($image: File!) {\n    validateImage(image: $image) {\n      ok\n      format\n      width\n      height\n      faceMethod\n      checks {\n        name\n        ok\n        message\n      }\n    }\n  }\n": typeof types.ValidateImageDocument,
    "\n  mutation AnalyzeImage($image: File!, $modelId: ID) {\n    analyzeImage(image: $image, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n": typeof types.AnalyzeImageDocument,
    "\n  mutation AnalyzeById($imageId: ID!, $modelId: ID) {\n    analyzeById(imageId: $imageId, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n": typeof types.AnalyzeByIdDocument,
    "\n  query AnalyzeModels {\n    models {\n      id\n      runId\n      isProduction\n      path\n      trial {\n        number\n      }\n    }\n  }\n": typeof types.AnalyzeModelsDocument,
    "\n  query Health {\n    health {\n      ok\n      version\n      instanceId\n      uptimeSeconds\n      database {\n        ok\n        kind\n        latencyMs\n        error\n      }\n    }\n  }\n": typeof types.HealthDocument,
    "\n  fragment ModelFile on ModelDiagnostics {\n    id\n    path\n    source\n    isProduction\n    exists\n    size\n    sha256\n    firstBytesHex\n    format\n    description\n    loads\n    loadError\n    lfsPointer {\n      oid\n      size\n    }\n    sidecar {\n      ok\n      error\n      inputSize\n      labels\n    }\n    inputs {\n      name\n      shape\n      type\n    }\n    outputs {\n      name\n      shape\n      type\n    }\n  }\n": typeof types.ModelFileFragmentDoc,
    "\n  query Diagnostics {\n    diagnostics {\n      collectedAt\n      productionRunId\n      models {\n        ...ModelFile\n      }\n      faceDetector {\n        ...ModelFile\n      }\n      runtime {\n        node\n        onnxruntime\n        sharp\n        libvips\n      }\n      cacheDirectories {\n        huggingFaceHub\n        images\n      }\n    }\n  }\n": typeof types.DiagnosticsDocument,
    "\n  fragment JobSummary on Job {\n    id\n    kind\n    status\n    executor\n    flavor\n    trials\n    trialsDone\n    quick\n    durationSeconds\n    cpuPercent\n    rssBytes\n    peakCpuPercent\n    peakRssBytes\n    lastSeq\n    createdAt\n    startedAt\n    finishedAt\n    exitCode\n    signal\n    error\n    stopRequested\n  }\n": typeof types.JobSummaryFragmentDoc,
    "\n  mutation StopJob($id: ID!) {\n    stopJob(id: $id) {\n      ...JobSummary\n    }\n  }\n": typeof types.StopJobDocument,
    "\n  query Job($id: ID!) {\n    job(id: $id) {\n      ...JobSummary\n      command\n      cwd\n      gitCommit\n      args\n      config\n      outputDir\n      logPath\n      pid\n      host\n      attempt\n      maxRetries\n    }\n  }\n": typeof types.JobDocument,
    "\n  query Jobs($first: Int, $after: String, $status: [JobStatus!]) {\n    jobs(first: $first, after: $after, status: $status) {\n      totalCount\n      hasMore\n      endCursor\n      nodes {\n        ...JobSummary\n      }\n    }\n  }\n": typeof types.JobsDocument,
    "\n  mutation StartJob($input: StartJobInput!) {\n    startJob(input: $input) {\n      id\n      status\n    }\n  }\n": typeof types.StartJobDocument,
    "\n  query HardwareFlavors {\n    hardwareFlavors {\n      name\n      prettyName\n      executor\n      cpu\n      ram\n      accelerator\n      pricePerHour\n      error\n    }\n  }\n": typeof types.HardwareFlavorsDocument,
    "\n  query JobLogTail($jobId: ID!, $beforeSeq: Int, $first: Int) {\n    logs(jobId: $jobId, beforeSeq: $beforeSeq, first: $first, tail: true) {\n      hasMore\n      firstSeq\n      lastSeq\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n": typeof types.JobLogTailDocument,
    "\n  subscription JobLogStream($jobId: ID!, $afterSeq: Int) {\n    jobLogs(jobId: $jobId, afterSeq: $afterSeq) {\n      lastSeq\n      done\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n": typeof types.JobLogStreamDocument,
    "\n  query JobSeq($id: ID!) {\n    job(id: $id) {\n      id\n      lastSeq\n    }\n  }\n": typeof types.JobSeqDocument,
    "\n  fragment ChartSeries on MetricSeries {\n    totalPoints\n    downsampled\n    points {\n      seq\n      value\n    }\n  }\n": typeof types.ChartSeriesFragmentDoc,
    "\n  query JobMetricHistory($jobId: ID!, $maxPoints: Int) {\n    loss: metrics(jobId: $jobId, name: \"loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    train_loss: metrics(jobId: $jobId, name: \"train_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_loss: metrics(jobId: $jobId, name: \"val_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    learning_rate: metrics(jobId: $jobId, name: \"learning_rate\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    accuracy: metrics(jobId: $jobId, name: \"accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_accuracy: metrics(jobId: $jobId, name: \"val_accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n  }\n": typeof types.JobMetricHistoryDocument,
    "\n  subscription JobMetricStream($jobId: ID!, $afterSeq: Int, $names: [String!]) {\n    jobMetrics(jobId: $jobId, afterSeq: $afterSeq, names: $names) {\n      lastSeq\n      done\n      points {\n        seq\n        name\n        value\n      }\n    }\n  }\n": typeof types.JobMetricStreamDocument,
    "\n  fragment LeaderboardTrial on Trial {\n    id\n    number\n    params\n    score\n    metric\n    direction\n    source\n    jobId\n    error\n    createdAt\n  }\n": typeof types.LeaderboardTrialFragmentDoc,
    "\n  query Leaderboard($jobId: ID, $source: TrialSource, $first: Int, $after: String) {\n    leaderboard(jobId: $jobId, source: $source, first: $first, after: $after) {\n      paramNames\n      metric\n      direction\n      totalCount\n      hasMore\n      endCursor\n      rows {\n        ...LeaderboardTrial\n      }\n    }\n  }\n": typeof types.LeaderboardDocument,
    "\n  subscription TrialAdded($jobId: ID) {\n    trialAdded(jobId: $jobId) {\n      ...LeaderboardTrial\n    }\n  }\n": typeof types.TrialAddedDocument,
    "\n  query TuneJobs {\n    jobs(kind: TUNE, first: 100) {\n      nodes {\n        id\n        status\n        createdAt\n        trials\n        trialsDone\n      }\n    }\n  }\n": typeof types.TuneJobsDocument,
    "\n  mutation PromoteTrial($trialId: ID!) {\n    promoteTrial(trialId: $trialId) {\n      id\n      status\n      job {\n        id\n      }\n      trial {\n        id\n        number\n      }\n    }\n  }\n": typeof types.PromoteTrialDocument,
    "\n  query Models {\n    models {\n      id\n      runId\n      path\n      sizeBytes\n      format\n      isProduction\n      promotedAt\n      trial {\n        id\n        number\n        score\n        metric\n      }\n      run {\n        id\n        promotedBy\n        job {\n          id\n        }\n      }\n    }\n  }\n": typeof types.ModelsDocument,
    "\n  query Runs($first: Int) {\n    runs(first: $first) {\n      id\n      status\n      modelPath\n      outputDir\n      createdAt\n      finishedAt\n      error\n      isProduction\n      promotedBy\n      trial {\n        id\n        number\n        score\n      }\n      job {\n        id\n        status\n      }\n    }\n  }\n": typeof types.RunsDocument,
    "\n  query ModelHistory {\n    modelHistory {\n      runId\n      previousRunId\n      action\n      actor\n      createdAt\n    }\n  }\n": typeof types.ModelHistoryDocument,
    "\n  subscription RunUpdated {\n    runUpdated {\n      id\n      status\n    }\n  }\n": typeof types.RunUpdatedDocument,
    "\n  subscription ProductionModelChanged {\n    productionModelChanged {\n      id\n    }\n  }\n": typeof types.ProductionModelChangedDocument,
    "\n  mutation SetProductionModel($runId: ID!) {\n    setProductionModel(runId: $runId) {\n      id\n      runId\n      isProduction\n    }\n  }\n": typeof types.SetProductionModelDocument,
    "\n  fragment SyncReportView on SyncReport {\n    direction\n    repo\n    uploaded\n    downloaded\n    errors\n    pendingPush\n    pendingPull\n    commit\n    commitAttempts\n    startedAt\n    finishedAt\n    pulledTrials\n    ingestedTrials\n    conflicts {\n      path\n      rule\n      remoteCopy\n    }\n    skipped {\n      path\n      reason\n    }\n  }\n": typeof types.SyncReportViewFragmentDoc,
    "\n  query SyncStatus {\n    syncStatus {\n      configured\n      missing\n      repo\n      remoteHead\n      running\n      intervalMs\n      lastPushAt\n      lastPullAt\n      pendingPush\n      errors\n      conflicts {\n        path\n        rule\n        localSha\n        remoteOid\n        remoteCopy\n      }\n      lastReports {\n        ...SyncReportView\n      }\n    }\n  }\n": typeof types.SyncStatusDocument,
    "\n  mutation SyncResults($direction: SyncDirection!) {\n    syncResults(direction: $direction) {\n      ...SyncReportView\n    }\n  }\n": typeof types.SyncResultsDocument,
};
const documents: Documents = {
    "\n  subscription JobFeed {\n    jobUpdated {\n      ...JobSummary\n    }\n  }\n": types.JobFeedDocument,
    "\n  query ActiveJobs {\n    jobs(status: [QUEUED, RUNNING], first: 500) {\n      totalCount\n      nodes {\n        id\n        status\n      }\n    }\n  }\n": types.ActiveJobsDocument,
    "\n  fragment AnalysisResult on Analysis {\n    imageId\n    fromCache\n    original {\n      format\n      width\n      height\n    }\n    faceMethod\n    cropPngBase64\n    crop {\n      x\n      y\n      size\n      padded\n    }\n    predictions {\n      label\n      score\n    }\n    model {\n      id\n      path\n      sha256\n    }\n    timings {\n      decodeMs\n      preprocessMs\n      inferenceMs\n      totalMs\n    }\n  }\n": types.AnalysisResultFragmentDoc,
    "\n  mutation ValidateImage($image: File!) {\n    validateImage(image: $image) {\n      ok\n      format\n      width\n      height\n      faceMethod\n      checks {\n        name\n        ok\n        message\n      }\n    }\n  }\n": types.ValidateImageDocument,
    "\n  mutation AnalyzeImage($image: File!, $modelId: ID) {\n    analyzeImage(image: $image, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n": types.AnalyzeImageDocument,
    "\n  mutation AnalyzeById($imageId: ID!, $modelId: ID) {\n    analyzeById(imageId: $imageId, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n": types.AnalyzeByIdDocument,
    "\n  query AnalyzeModels {\n    models {\n      id\n      runId\n      isProduction\n      path\n      trial {\n        number\n      }\n    }\n  }\n": types.AnalyzeModelsDocument,
    "\n  query Health {\n    health {\n      ok\n      version\n      instanceId\n      uptimeSeconds\n      database {\n        ok\n        kind\n        latencyMs\n        error\n      }\n    }\n  }\n": types.HealthDocument,
    "\n  fragment ModelFile on ModelDiagnostics {\n    id\n    path\n    source\n    isProduction\n    exists\n    size\n    sha256\n    firstBytesHex\n    format\n    description\n    loads\n    loadError\n    lfsPointer {\n      oid\n      size\n    }\n    sidecar {\n      ok\n      error\n      inputSize\n      labels\n    }\n    inputs {\n      name\n      shape\n      type\n    }\n    outputs {\n      name\n      shape\n      type\n    }\n  }\n": types.ModelFileFragmentDoc,
    "\n  query Diagnostics {\n    diagnostics {\n      collectedAt\n      productionRunId\n      models {\n        ...ModelFile\n      }\n      faceDetector {\n        ...ModelFile\n      }\n      runtime {\n        node\n        onnxruntime\n        sharp\n        libvips\n      }\n      cacheDirectories {\n        huggingFaceHub\n        images\n      }\n    }\n  }\n": types.DiagnosticsDocument,
    "\n  fragment JobSummary on Job {\n    id\n    kind\n    status\n    executor\n    flavor\n    trials\n    trialsDone\n    quick\n    durationSeconds\n    cpuPercent\n    rssBytes\n    peakCpuPercent\n    peakRssBytes\n    lastSeq\n    createdAt\n    startedAt\n    finishedAt\n    exitCode\n    signal\n    error\n    stopRequested\n  }\n": types.JobSummaryFragmentDoc,
    "\n  mutation StopJob($id: ID!) {\n    stopJob(id: $id) {\n      ...JobSummary\n    }\n  }\n": types.StopJobDocument,
    "\n  query Job($id: ID!) {\n    job(id: $id) {\n      ...JobSummary\n      command\n      cwd\n      gitCommit\n      args\n      config\n      outputDir\n      logPath\n      pid\n      host\n      attempt\n      maxRetries\n    }\n  }\n": types.JobDocument,
    "\n  query Jobs($first: Int, $after: String, $status: [JobStatus!]) {\n    jobs(first: $first, after: $after, status: $status) {\n      totalCount\n      hasMore\n      endCursor\n      nodes {\n        ...JobSummary\n      }\n    }\n  }\n": types.JobsDocument,
    "\n  mutation StartJob($input: StartJobInput!) {\n    startJob(input: $input) {\n      id\n      status\n    }\n  }\n": types.StartJobDocument,
    "\n  query HardwareFlavors {\n    hardwareFlavors {\n      name\n      prettyName\n      executor\n      cpu\n      ram\n      accelerator\n      pricePerHour\n      error\n    }\n  }\n": types.HardwareFlavorsDocument,
    "\n  query JobLogTail($jobId: ID!, $beforeSeq: Int, $first: Int) {\n    logs(jobId: $jobId, beforeSeq: $beforeSeq, first: $first, tail: true) {\n      hasMore\n      firstSeq\n      lastSeq\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n": types.JobLogTailDocument,
    "\n  subscription JobLogStream($jobId: ID!, $afterSeq: Int) {\n    jobLogs(jobId: $jobId, afterSeq: $afterSeq) {\n      lastSeq\n      done\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n": types.JobLogStreamDocument,
    "\n  query JobSeq($id: ID!) {\n    job(id: $id) {\n      id\n      lastSeq\n    }\n  }\n": types.JobSeqDocument,
    "\n  fragment ChartSeries on MetricSeries {\n    totalPoints\n    downsampled\n    points {\n      seq\n      value\n    }\n  }\n": types.ChartSeriesFragmentDoc,
    "\n  query JobMetricHistory($jobId: ID!, $maxPoints: Int) {\n    loss: metrics(jobId: $jobId, name: \"loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    train_loss: metrics(jobId: $jobId, name: \"train_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_loss: metrics(jobId: $jobId, name: \"val_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    learning_rate: metrics(jobId: $jobId, name: \"learning_rate\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    accuracy: metrics(jobId: $jobId, name: \"accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_accuracy: metrics(jobId: $jobId, name: \"val_accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n  }\n": types.JobMetricHistoryDocument,
    "\n  subscription JobMetricStream($jobId: ID!, $afterSeq: Int, $names: [String!]) {\n    jobMetrics(jobId: $jobId, afterSeq: $afterSeq, names: $names) {\n      lastSeq\n      done\n      points {\n        seq\n        name\n        value\n      }\n    }\n  }\n": types.JobMetricStreamDocument,
    "\n  fragment LeaderboardTrial on Trial {\n    id\n    number\n    params\n    score\n    metric\n    direction\n    source\n    jobId\n    error\n    createdAt\n  }\n": types.LeaderboardTrialFragmentDoc,
    "\n  query Leaderboard($jobId: ID, $source: TrialSource, $first: Int, $after: String) {\n    leaderboard(jobId: $jobId, source: $source, first: $first, after: $after) {\n      paramNames\n      metric\n      direction\n      totalCount\n      hasMore\n      endCursor\n      rows {\n        ...LeaderboardTrial\n      }\n    }\n  }\n": types.LeaderboardDocument,
    "\n  subscription TrialAdded($jobId: ID) {\n    trialAdded(jobId: $jobId) {\n      ...LeaderboardTrial\n    }\n  }\n": types.TrialAddedDocument,
    "\n  query TuneJobs {\n    jobs(kind: TUNE, first: 100) {\n      nodes {\n        id\n        status\n        createdAt\n        trials\n        trialsDone\n      }\n    }\n  }\n": types.TuneJobsDocument,
    "\n  mutation PromoteTrial($trialId: ID!) {\n    promoteTrial(trialId: $trialId) {\n      id\n      status\n      job {\n        id\n      }\n      trial {\n        id\n        number\n      }\n    }\n  }\n": types.PromoteTrialDocument,
    "\n  query Models {\n    models {\n      id\n      runId\n      path\n      sizeBytes\n      format\n      isProduction\n      promotedAt\n      trial {\n        id\n        number\n        score\n        metric\n      }\n      run {\n        id\n        promotedBy\n        job {\n          id\n        }\n      }\n    }\n  }\n": types.ModelsDocument,
    "\n  query Runs($first: Int) {\n    runs(first: $first) {\n      id\n      status\n      modelPath\n      outputDir\n      createdAt\n      finishedAt\n      error\n      isProduction\n      promotedBy\n      trial {\n        id\n        number\n        score\n      }\n      job {\n        id\n        status\n      }\n    }\n  }\n": types.RunsDocument,
    "\n  query ModelHistory {\n    modelHistory {\n      runId\n      previousRunId\n      action\n      actor\n      createdAt\n    }\n  }\n": types.ModelHistoryDocument,
    "\n  subscription RunUpdated {\n    runUpdated {\n      id\n      status\n    }\n  }\n": types.RunUpdatedDocument,
    "\n  subscription ProductionModelChanged {\n    productionModelChanged {\n      id\n    }\n  }\n": types.ProductionModelChangedDocument,
    "\n  mutation SetProductionModel($runId: ID!) {\n    setProductionModel(runId: $runId) {\n      id\n      runId\n      isProduction\n    }\n  }\n": types.SetProductionModelDocument,
    "\n  fragment SyncReportView on SyncReport {\n    direction\n    repo\n    uploaded\n    downloaded\n    errors\n    pendingPush\n    pendingPull\n    commit\n    commitAttempts\n    startedAt\n    finishedAt\n    pulledTrials\n    ingestedTrials\n    conflicts {\n      path\n      rule\n      remoteCopy\n    }\n    skipped {\n      path\n      reason\n    }\n  }\n": types.SyncReportViewFragmentDoc,
    "\n  query SyncStatus {\n    syncStatus {\n      configured\n      missing\n      repo\n      remoteHead\n      running\n      intervalMs\n      lastPushAt\n      lastPullAt\n      pendingPush\n      errors\n      conflicts {\n        path\n        rule\n        localSha\n        remoteOid\n        remoteCopy\n      }\n      lastReports {\n        ...SyncReportView\n      }\n    }\n  }\n": types.SyncStatusDocument,
    "\n  mutation SyncResults($direction: SyncDirection!) {\n    syncResults(direction: $direction) {\n      ...SyncReportView\n    }\n  }\n": types.SyncResultsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobFeed {\n    jobUpdated {\n      ...JobSummary\n    }\n  }\n"): (typeof documents)["\n  subscription JobFeed {\n    jobUpdated {\n      ...JobSummary\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActiveJobs {\n    jobs(status: [QUEUED, RUNNING], first: 500) {\n      totalCount\n      nodes {\n        id\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  query ActiveJobs {\n    jobs(status: [QUEUED, RUNNING], first: 500) {\n      totalCount\n      nodes {\n        id\n        status\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AnalysisResult on Analysis {\n    imageId\n    fromCache\n    original {\n      format\n      width\n      height\n    }\n    faceMethod\n    cropPngBase64\n    crop {\n      x\n      y\n      size\n      padded\n    }\n    predictions {\n      label\n      score\n    }\n    model {\n      id\n      path\n      sha256\n    }\n    timings {\n      decodeMs\n      preprocessMs\n      inferenceMs\n      totalMs\n    }\n  }\n"): (typeof documents)["\n  fragment AnalysisResult on Analysis {\n    imageId\n    fromCache\n    original {\n      format\n      width\n      height\n    }\n    faceMethod\n    cropPngBase64\n    crop {\n      x\n      y\n      size\n      padded\n    }\n    predictions {\n      label\n      score\n    }\n    model {\n      id\n      path\n      sha256\n    }\n    timings {\n      decodeMs\n      preprocessMs\n      inferenceMs\n      totalMs\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ValidateImage($image: File!) {\n    validateImage(image: $image) {\n      ok\n      format\n      width\n      height\n      faceMethod\n      checks {\n        name\n        ok\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ValidateImage($image: File!) {\n    validateImage(image: $image) {\n      ok\n      format\n      width\n      height\n      faceMethod\n      checks {\n        name\n        ok\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AnalyzeImage($image: File!, $modelId: ID) {\n    analyzeImage(image: $image, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n"): (typeof documents)["\n  mutation AnalyzeImage($image: File!, $modelId: ID) {\n    analyzeImage(image: $image, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AnalyzeById($imageId: ID!, $modelId: ID) {\n    analyzeById(imageId: $imageId, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n"): (typeof documents)["\n  mutation AnalyzeById($imageId: ID!, $modelId: ID) {\n    analyzeById(imageId: $imageId, modelId: $modelId) {\n      ...AnalysisResult\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AnalyzeModels {\n    models {\n      id\n      runId\n      isProduction\n      path\n      trial {\n        number\n      }\n    }\n  }\n"): (typeof documents)["\n  query AnalyzeModels {\n    models {\n      id\n      runId\n      isProduction\n      path\n      trial {\n        number\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Health {\n    health {\n      ok\n      version\n      instanceId\n      uptimeSeconds\n      database {\n        ok\n        kind\n        latencyMs\n        error\n      }\n    }\n  }\n"): (typeof documents)["\n  query Health {\n    health {\n      ok\n      version\n      instanceId\n      uptimeSeconds\n      database {\n        ok\n        kind\n        latencyMs\n        error\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ModelFile on ModelDiagnostics {\n    id\n    path\n    source\n    isProduction\n    exists\n    size\n    sha256\n    firstBytesHex\n    format\n    description\n    loads\n    loadError\n    lfsPointer {\n      oid\n      size\n    }\n    sidecar {\n      ok\n      error\n      inputSize\n      labels\n    }\n    inputs {\n      name\n      shape\n      type\n    }\n    outputs {\n      name\n      shape\n      type\n    }\n  }\n"): (typeof documents)["\n  fragment ModelFile on ModelDiagnostics {\n    id\n    path\n    source\n    isProduction\n    exists\n    size\n    sha256\n    firstBytesHex\n    format\n    description\n    loads\n    loadError\n    lfsPointer {\n      oid\n      size\n    }\n    sidecar {\n      ok\n      error\n      inputSize\n      labels\n    }\n    inputs {\n      name\n      shape\n      type\n    }\n    outputs {\n      name\n      shape\n      type\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Diagnostics {\n    diagnostics {\n      collectedAt\n      productionRunId\n      models {\n        ...ModelFile\n      }\n      faceDetector {\n        ...ModelFile\n      }\n      runtime {\n        node\n        onnxruntime\n        sharp\n        libvips\n      }\n      cacheDirectories {\n        huggingFaceHub\n        images\n      }\n    }\n  }\n"): (typeof documents)["\n  query Diagnostics {\n    diagnostics {\n      collectedAt\n      productionRunId\n      models {\n        ...ModelFile\n      }\n      faceDetector {\n        ...ModelFile\n      }\n      runtime {\n        node\n        onnxruntime\n        sharp\n        libvips\n      }\n      cacheDirectories {\n        huggingFaceHub\n        images\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment JobSummary on Job {\n    id\n    kind\n    status\n    executor\n    flavor\n    trials\n    trialsDone\n    quick\n    durationSeconds\n    cpuPercent\n    rssBytes\n    peakCpuPercent\n    peakRssBytes\n    lastSeq\n    createdAt\n    startedAt\n    finishedAt\n    exitCode\n    signal\n    error\n    stopRequested\n  }\n"): (typeof documents)["\n  fragment JobSummary on Job {\n    id\n    kind\n    status\n    executor\n    flavor\n    trials\n    trialsDone\n    quick\n    durationSeconds\n    cpuPercent\n    rssBytes\n    peakCpuPercent\n    peakRssBytes\n    lastSeq\n    createdAt\n    startedAt\n    finishedAt\n    exitCode\n    signal\n    error\n    stopRequested\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopJob($id: ID!) {\n    stopJob(id: $id) {\n      ...JobSummary\n    }\n  }\n"): (typeof documents)["\n  mutation StopJob($id: ID!) {\n    stopJob(id: $id) {\n      ...JobSummary\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Job($id: ID!) {\n    job(id: $id) {\n      ...JobSummary\n      command\n      cwd\n      gitCommit\n      args\n      config\n      outputDir\n      logPath\n      pid\n      host\n      attempt\n      maxRetries\n    }\n  }\n"): (typeof documents)["\n  query Job($id: ID!) {\n    job(id: $id) {\n      ...JobSummary\n      command\n      cwd\n      gitCommit\n      args\n      config\n      outputDir\n      logPath\n      pid\n      host\n      attempt\n      maxRetries\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Jobs($first: Int, $after: String, $status: [JobStatus!]) {\n    jobs(first: $first, after: $after, status: $status) {\n      totalCount\n      hasMore\n      endCursor\n      nodes {\n        ...JobSummary\n      }\n    }\n  }\n"): (typeof documents)["\n  query Jobs($first: Int, $after: String, $status: [JobStatus!]) {\n    jobs(first: $first, after: $after, status: $status) {\n      totalCount\n      hasMore\n      endCursor\n      nodes {\n        ...JobSummary\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartJob($input: StartJobInput!) {\n    startJob(input: $input) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation StartJob($input: StartJobInput!) {\n    startJob(input: $input) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HardwareFlavors {\n    hardwareFlavors {\n      name\n      prettyName\n      executor\n      cpu\n      ram\n      accelerator\n      pricePerHour\n      error\n    }\n  }\n"): (typeof documents)["\n  query HardwareFlavors {\n    hardwareFlavors {\n      name\n      prettyName\n      executor\n      cpu\n      ram\n      accelerator\n      pricePerHour\n      error\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobLogTail($jobId: ID!, $beforeSeq: Int, $first: Int) {\n    logs(jobId: $jobId, beforeSeq: $beforeSeq, first: $first, tail: true) {\n      hasMore\n      firstSeq\n      lastSeq\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n"): (typeof documents)["\n  query JobLogTail($jobId: ID!, $beforeSeq: Int, $first: Int) {\n    logs(jobId: $jobId, beforeSeq: $beforeSeq, first: $first, tail: true) {\n      hasMore\n      firstSeq\n      lastSeq\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobLogStream($jobId: ID!, $afterSeq: Int) {\n    jobLogs(jobId: $jobId, afterSeq: $afterSeq) {\n      lastSeq\n      done\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription JobLogStream($jobId: ID!, $afterSeq: Int) {\n    jobLogs(jobId: $jobId, afterSeq: $afterSeq) {\n      lastSeq\n      done\n      lines {\n        seq\n        stream\n        level\n        text\n        time\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobSeq($id: ID!) {\n    job(id: $id) {\n      id\n      lastSeq\n    }\n  }\n"): (typeof documents)["\n  query JobSeq($id: ID!) {\n    job(id: $id) {\n      id\n      lastSeq\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ChartSeries on MetricSeries {\n    totalPoints\n    downsampled\n    points {\n      seq\n      value\n    }\n  }\n"): (typeof documents)["\n  fragment ChartSeries on MetricSeries {\n    totalPoints\n    downsampled\n    points {\n      seq\n      value\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobMetricHistory($jobId: ID!, $maxPoints: Int) {\n    loss: metrics(jobId: $jobId, name: \"loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    train_loss: metrics(jobId: $jobId, name: \"train_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_loss: metrics(jobId: $jobId, name: \"val_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    learning_rate: metrics(jobId: $jobId, name: \"learning_rate\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    accuracy: metrics(jobId: $jobId, name: \"accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_accuracy: metrics(jobId: $jobId, name: \"val_accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n  }\n"): (typeof documents)["\n  query JobMetricHistory($jobId: ID!, $maxPoints: Int) {\n    loss: metrics(jobId: $jobId, name: \"loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    train_loss: metrics(jobId: $jobId, name: \"train_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_loss: metrics(jobId: $jobId, name: \"val_loss\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    learning_rate: metrics(jobId: $jobId, name: \"learning_rate\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    accuracy: metrics(jobId: $jobId, name: \"accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n    val_accuracy: metrics(jobId: $jobId, name: \"val_accuracy\", maxPoints: $maxPoints) {\n      ...ChartSeries\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobMetricStream($jobId: ID!, $afterSeq: Int, $names: [String!]) {\n    jobMetrics(jobId: $jobId, afterSeq: $afterSeq, names: $names) {\n      lastSeq\n      done\n      points {\n        seq\n        name\n        value\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription JobMetricStream($jobId: ID!, $afterSeq: Int, $names: [String!]) {\n    jobMetrics(jobId: $jobId, afterSeq: $afterSeq, names: $names) {\n      lastSeq\n      done\n      points {\n        seq\n        name\n        value\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LeaderboardTrial on Trial {\n    id\n    number\n    params\n    score\n    metric\n    direction\n    source\n    jobId\n    error\n    createdAt\n  }\n"): (typeof documents)["\n  fragment LeaderboardTrial on Trial {\n    id\n    number\n    params\n    score\n    metric\n    direction\n    source\n    jobId\n    error\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Leaderboard($jobId: ID, $source: TrialSource, $first: Int, $after: String) {\n    leaderboard(jobId: $jobId, source: $source, first: $first, after: $after) {\n      paramNames\n      metric\n      direction\n      totalCount\n      hasMore\n      endCursor\n      rows {\n        ...LeaderboardTrial\n      }\n    }\n  }\n"): (typeof documents)["\n  query Leaderboard($jobId: ID, $source: TrialSource, $first: Int, $after: String) {\n    leaderboard(jobId: $jobId, source: $source, first: $first, after: $after) {\n      paramNames\n      metric\n      direction\n      totalCount\n      hasMore\n      endCursor\n      rows {\n        ...LeaderboardTrial\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TrialAdded($jobId: ID) {\n    trialAdded(jobId: $jobId) {\n      ...LeaderboardTrial\n    }\n  }\n"): (typeof documents)["\n  subscription TrialAdded($jobId: ID) {\n    trialAdded(jobId: $jobId) {\n      ...LeaderboardTrial\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TuneJobs {\n    jobs(kind: TUNE, first: 100) {\n      nodes {\n        id\n        status\n        createdAt\n        trials\n        trialsDone\n      }\n    }\n  }\n"): (typeof documents)["\n  query TuneJobs {\n    jobs(kind: TUNE, first: 100) {\n      nodes {\n        id\n        status\n        createdAt\n        trials\n        trialsDone\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PromoteTrial($trialId: ID!) {\n    promoteTrial(trialId: $trialId) {\n      id\n      status\n      job {\n        id\n      }\n      trial {\n        id\n        number\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation PromoteTrial($trialId: ID!) {\n    promoteTrial(trialId: $trialId) {\n      id\n      status\n      job {\n        id\n      }\n      trial {\n        id\n        number\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Models {\n    models {\n      id\n      runId\n      path\n      sizeBytes\n      format\n      isProduction\n      promotedAt\n      trial {\n        id\n        number\n        score\n        metric\n      }\n      run {\n        id\n        promotedBy\n        job {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Models {\n    models {\n      id\n      runId\n      path\n      sizeBytes\n      format\n      isProduction\n      promotedAt\n      trial {\n        id\n        number\n        score\n        metric\n      }\n      run {\n        id\n        promotedBy\n        job {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Runs($first: Int) {\n    runs(first: $first) {\n      id\n      status\n      modelPath\n      outputDir\n      createdAt\n      finishedAt\n      error\n      isProduction\n      promotedBy\n      trial {\n        id\n        number\n        score\n      }\n      job {\n        id\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  query Runs($first: Int) {\n    runs(first: $first) {\n      id\n      status\n      modelPath\n      outputDir\n      createdAt\n      finishedAt\n      error\n      isProduction\n      promotedBy\n      trial {\n        id\n        number\n        score\n      }\n      job {\n        id\n        status\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ModelHistory {\n    modelHistory {\n      runId\n      previousRunId\n      action\n      actor\n      createdAt\n    }\n  }\n"): (typeof documents)["\n  query ModelHistory {\n    modelHistory {\n      runId\n      previousRunId\n      action\n      actor\n      createdAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunUpdated {\n    runUpdated {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  subscription RunUpdated {\n    runUpdated {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ProductionModelChanged {\n    productionModelChanged {\n      id\n    }\n  }\n"): (typeof documents)["\n  subscription ProductionModelChanged {\n    productionModelChanged {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetProductionModel($runId: ID!) {\n    setProductionModel(runId: $runId) {\n      id\n      runId\n      isProduction\n    }\n  }\n"): (typeof documents)["\n  mutation SetProductionModel($runId: ID!) {\n    setProductionModel(runId: $runId) {\n      id\n      runId\n      isProduction\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SyncReportView on SyncReport {\n    direction\n    repo\n    uploaded\n    downloaded\n    errors\n    pendingPush\n    pendingPull\n    commit\n    commitAttempts\n    startedAt\n    finishedAt\n    pulledTrials\n    ingestedTrials\n    conflicts {\n      path\n      rule\n      remoteCopy\n    }\n    skipped {\n      path\n      reason\n    }\n  }\n"): (typeof documents)["\n  fragment SyncReportView on SyncReport {\n    direction\n    repo\n    uploaded\n    downloaded\n    errors\n    pendingPush\n    pendingPull\n    commit\n    commitAttempts\n    startedAt\n    finishedAt\n    pulledTrials\n    ingestedTrials\n    conflicts {\n      path\n      rule\n      remoteCopy\n    }\n    skipped {\n      path\n      reason\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SyncStatus {\n    syncStatus {\n      configured\n      missing\n      repo\n      remoteHead\n      running\n      intervalMs\n      lastPushAt\n      lastPullAt\n      pendingPush\n      errors\n      conflicts {\n        path\n        rule\n        localSha\n        remoteOid\n        remoteCopy\n      }\n      lastReports {\n        ...SyncReportView\n      }\n    }\n  }\n"): (typeof documents)["\n  query SyncStatus {\n    syncStatus {\n      configured\n      missing\n      repo\n      remoteHead\n      running\n      intervalMs\n      lastPushAt\n      lastPullAt\n      pendingPush\n      errors\n      conflicts {\n        path\n        rule\n        localSha\n        remoteOid\n        remoteCopy\n      }\n      lastReports {\n        ...SyncReportView\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SyncResults($direction: SyncDirection!) {\n    syncResults(direction: $direction) {\n      ...SyncReportView\n    }\n  }\n"): (typeof documents)["\n  mutation SyncResults($direction: SyncDirection!) {\n    syncResults(direction: $direction) {\n      ...SyncReportView\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;