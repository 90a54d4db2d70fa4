// Package serverless reads a Serverless Framework serverless.yml (v3 and
// v4 semantics) and returns the plain data brefimg needs to build the
// container images it defines (provider.ecr.images) and to deploy the
// functions that use them: [Load] returns a [Project], whose
// [Project.Repository] is the ECR repository Serverless pushes to and
// whose [Project.ImagePlatform] is the platform to build an image for.
//
// Only the fields brefimg needs are resolved: service; provider.name,
// stage, region, architecture, ecr.scanOnPush and ecr.maxImages; the
// images' path, file, buildArgs, platform and uri; the functions' image
// (name, uri, command, entryPoint, workingDirectory), name and
// architecture. Variables in them may use the sources brefimg can resolve
// without AWS: ${self:…}, ${env:…}, ${opt:stage}, ${opt:region},
// ${sls:stage} and ${aws:region}, with fallbacks (${opt:stage, 'dev'},
// ${opt:stage, self:provider.stage}). Any other source (${ssm:…}, ${cf:…},
// ${s3:…}, ${file(…)}, ${param:…}, …) in a needed field is an error naming
// the file, the line and the field; everywhere else variables are left
// alone.
//
// Every error the file causes is a *plan.InputError whose message starts
// with "FILE:LINE: path.to.field:", FILE being the path given to Load.
//
// The package reads the file and checks that the Dockerfiles of the images
// functions use exist; it has no global state and imports neither the
// CLI, the builder nor the registry.
package serverless
