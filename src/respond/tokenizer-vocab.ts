/**
 * The tokenizer's fixed vocabulary (see tokenizer.ts). The order fixes the ids: only append.
 * DATASET_WORDS are the most frequent words of four letters or more in the public math benchmarks
 * (AIME, MATH-500, GSM8K), most frequent first; LATEX_COMMANDS the most frequent LaTeX commands there.
 */

export const DATASET_WORDS: string =
  "total each many that number will there have frac then hours than minutes cost left they much first from with " +
  "more find times does week this years because three after miles hour days half were cdot twice needs sqrt " +
  "people amount second right money pounds every students feet make which therefore time what bought year since " +
  "them their take thus need month takes costs books third when sold inches water spent apples means points " +
  "remaining pieces long would dollars boxed only price four also angle made cookies into pages align weeks " +
  "school same both circ wants spend begin square together marbles gallons gets average makes class boxes spends " +
  "store gave paid fish test eggs last friends ounces less buys before cards other blue took used triangle cars " +
  "john equal slices house cups over draw these five rest minute food must gives months read json some sells " +
  "tickets between seconds next equation value distance bags length work theta during trip label while algebra " +
  "weight dogs combined oranges multiply pair candy children calculate scored eats pmatrix pencils monday " +
  "another uses sell speed pairs book bottles shirts game trees worth bill cans brother home area friend meters " +
  "games alpha sides green went dozen away case calories discount cents pizza pound answer earn james where " +
  "earned liters back point divide person side balls family tuesday able bars received team sister text rate " +
  "tree flowers equiv profit numbers girls packs fourth small omega given party works pays animals selling earns " +
  "tall hence those tank know boys shoes large weighs fewer still already wednesday friday chocolate mark white " +
  "milk altogether candies yellow going leaves company through runs plants balloons additional buying blocks " +
  "positive final degrees probability down cats full size currently save foot difference needed different " +
  "subtract give such height collected park kids group goes should pack percentage gallon mary been overline " +
  "pens chairs like pmod cases dfrac coffee sale legs decides bottle stickers bills making black items bread " +
  "order saturday start problem found finish decided shop mother cupcakes toys today paper fill chips paint " +
  "possible ways seeds enough added night integers could coins walk line roses started farm original birds " +
  "bananas change lost using want values ordered adding equals apple caught implies extra score contains drinks " +
  "math questions customers older picked double sandwiches whole walks multiplying room lunch cows morning " +
  "pizzas fruit movie circle sales intermediate mile saved thursday guests artofproblemsolving jack plant " +
  "integer soda words meaning cream sunday collection working ticket tomatoes finally travel beans note solution " +
  "sets beads stamps play mathbf cheese kilograms terms binom yards divided crayons index cakes least round " +
  "building https high drink textbf kilometers chickens grams choose garden birthday student weigh race pool " +
  "socks problems alice rows wiki dividing receive cake quarter monthly ride percent plus quarters father " +
  "chicken prealgebra just eight fruits hold drive equally dinner pies part drives salary corn orange units " +
  "pants peter ratio players employees brought juice real floor worked however women grade video shirt following " +
  "bank entire figure write seats members mike strawberries taking base account candles flour traveled phone " +
  "sarah lines show complete increased once potatoes volume glasses earnings sugar respectively savings butter " +
  "counting classes jelly planted wheels center adults brownies share steps color goal gold came city parents " +
  "previous fifth card songs prime ones teacher adult jerry ounce jason reach field ducks truck sticks farmer " +
  "charges rooms spots pick inch child around reading hats train season goals longer piece eaten subtracting " +
  "cycle split squares land table theory temperature giving remainder raise restaurant orders equations starts " +
  "adds regular increase weekend taken linewidth daily type martha played purchase bike puppies parking walked " +
  "floors basketball running smallest owns letters plates sheep shells plane multiple about filled holds charge " +
  "above form beta having maximum road photos denote being reads page movies either groups later female library " +
  "single exactly feed billy count lambda servings notebooks votes dolls cubic tables free collect contain wide " +
  "meat nickels paul janet market local younger stop level playing gift episodes precalculus frank driving trips " +
  "capacity rose adam including place without come meals bowl rectangle solving everything jill sally michael " +
  "break cover originally rent solve theorem again walking steve ball basket pink jane tiles carl your across " +
  "stars dimes ages harry computer clothes jenny cdots normal produce saves hair picks tony pills travels " +
  "vertices marks apartment supplies carrots bake beach counted current packages machine hspace produces twenty " +
  "puts walls pets lake matt radius until carla sent sandwich brown anna lfloor rfloor starting overrightarrow " +
  "wins space receives rope traveling shopping trucks paintings most quad rolls package laundry expenses jake " +
  "collects medium trying wall homework baby town gifts cuts initial roots dollar budget batch sheets " +
  "substituting notice formula solutions inside initially hand geometry lollipops slice houses parts combining " +
  "muffins yesterday wash population stripes segments raised bucket office plans catch herself lemonade maria " +
  "lisa goats smaller purple wanted vegetables weekly clean section comes peaches donuts teachers customer alex " +
  "express leaving meal betty afternoon everyone station eating soccer expression leave carry charged taxes " +
  "intersection beginning club player remained watch jeans expensive written interest silver bring paying " +
  "cleaning grocery good seven business football income andrew necklaces loaves painting doing even susan " +
  "delivery jackson pond horses diagram throw male breakfast fabric evening tires vacation neighborhood jeff " +
  "similarly chen among greater removed dishes baseball flower finished passengers bikes jellybeans rightarrow " +
  "fraction width project lawn andy hannah chocolates frogs turtles turn increases fast drove emily wood towels " +
  "bracelets getting list finds kittens ryan karen power short digit along determine science favorite light " +
  "glass grow cook living messages street circles dots kept triple centimeters purchased june yard payment " +
  "seashells rain tangent steven yields common distinct doesn river minimum certain likes practice bakes windows " +
  "liter cartons pennies saving mountain kitchen george stuffed consider placed return build covered baked open " +
  "julia cookie jimmy grapes loses siblings beds rachel caps sodas triangles tennis keep faster josh rabbits " +
  "sees fries dress nails pictures nuts middle colors fuel donated rounds fence call subsets laps mathcal empty " +
  "remain writes scores lose crates jars randy divisible digits product colored produced jump allowance pots " +
  "watches drank kilogram mangoes instead consecutive shared journey jenna batches baskets condition tfrac " +
  "becomes breaks daughter teeth lift parallel term check cannot largest plays chance root cubes peanut throws " +
  "insurance phones watched vehicles gumballs factory quarts weighed bathroom function well winning doubles " +
  "shorter under kyle popcorn recipe spending lily brian bedroom graders buttons crackers jacob pass setting " +
  "below shows dropped asked knows period record present visit serving puppy spoons attended taller blueberries " +
  "emails tina lengths compute reduced series ground thomas pencil born balance hotel march summer very opposite " +
  "infty types watching babies wife packets pints acres sand goldfish annie plugging elements required graph " +
  "convert help aquarium nancy doubled bears washing beef marcus threw berries scoops done fills matches scale " +
  "returned outside decide head bonus doughnuts david greg planning meter legos piggy brings brothers follows " +
  "evenly equivalent represents grows rick classroom bobby meet best sure segment system represent cheaper wait " +
  "watermelon hole holes rice stock york planks concert amounts island dance clothing henry groceries salad " +
  "snakes special families tablespoons burgers kevin shown swimming path move stack cell bricks bakery tomato " +
  "drops workers rode bulbs harvest cherry song employee pigs himself sleeps dresses counts perimeter step block " +
  "prize drew chris animal lessons band fell similar turns except midpoint denominator always bottom writing " +
  "container carried calls overtime wrote owner fred robert requires consume april daisies erasers horse emma " +
  "mushrooms earrings addition property item bones assuming thirds coupon charlie roll turned sisters jordan " +
  "ants passed compared bird obtain relatively perform sequence measure higher competition plan normally lemons " +
  "late husband rides treats stairs catches intersect perpendicular lower satisfy course finding thrice music " +
  "ingredients kelly theater lucy monica steak sweets apartments suppose passes angles larger looking region " +
  "face annual fair balloon eyes purchases revenue wooden invited baking peppers neighbor deliver whose " +
  "direction notes event females ears load tommy bees banana onions homes fireworks soup miss buckets broken " +
  "pythagorean minus element factor dashed rectangles push answers hands contained track farther ship individual " +
  "service weekdays sleep johnny bugs camp julie mail mice array daniel stops riding didn potato containers " +
  "aaron online guest semester jessica records masks beth uncle coat knives said products require covers " +
  "greatest told valid correctly cube rectangular training snack member collecting loves production necklace " +
  "route oliver peanuts shipping clay gained pumpkin correct isosceles complex particular hline logs remains " +
  "available joined girl shelf wheel letter sara teaspoons joseph completed insects anne wearing performing " +
  "forest shark commission loads roger chores followers quadratic professorchenedu within exists nine sixth " +
  "straight east swim spaces ring rings bicycle jean charity weekends puzzle flight january salt amanda meeting " +
  "question dbinom tokens removes lottery front answered february life shelter fees grace boat tests decorations " +
  "nights tulips megan rained hens here underline numerator simply carrying unique stand figures past william " +
  "carlos dozens serve filling fastest dave french delivered daisy snacks burger tips rocks rabbit visitors " +
  "novels tanks pancakes polynomial tons seen north stick coordinates arrived containing sections board driver " +
  "males patrick carton schools pile patients ready cooking backyard trays cherries grew live carson petals " +
  "string sweaters create file example factors simplify actually mbox melanie degree frog sized representing " +
  "chip visited luke sauce window visits mandy grass snow loan joey machines strawberry doctor flies guppies " +
  "janice shots stores kendra feathers constant drop expressed simplifies choice vertex unitsize stage picking " +
  "limit held shorts weights gerald waiting gary july soil chair hamburgers pete bringing vanilla supermarket " +
  "donate trash pine paints envelopes congruent missing process grid jumps ends unit little leftover finishes " +
  "jose coach holding offers history museum agreed served body packet snake christmas delivers ended loaf kate " +
  "jeremy lights pulled climbed marshmallows biscuits";

export const LATEX_COMMANDS: string =
  "\\frac \\cdot \\sqrt \\left \\right \\boxed \\circ \\angle \\begin \\end \\sin \\cos \\theta \\alpha \\pi \\equiv \\triangle " +
  "\\text \\omega \\log \\overline \\pmod \\dfrac \\sum \\mathbf \\le \\binom \\times \\textbf \\implies \\in \\tan \\rm \\lambda " +
  "\\beta \\leq \\cdots \\hspace \\lfloor \\rfloor \\overrightarrow \\quad \\ge \\pm \\choose \\mathcal \\mid \\tfrac \\dots " +
  "\\neq \\infty \\Rightarrow \\geq \\hline \\dbinom \\sim \\underline \\mbox \\phi \\perp \\ldots \\qquad \\ell \\mod \\bar " +
  "\\cap \\textit \\land \\Bbb \\arcsin \\arccos \\Longrightarrow \\parallel \\int \\epsilon \\gcd \\cot \\approx \\textrm " +
  "\\rightarrow \\gamma \\over \\overset \\Delta \\hat \\bigtriangleup \\Large \\frown \\cong \\operatorname \\emptyset " +
  "\\odot \\Pi \\mathbb \\mathrm \\prod \\cfrac \\cup \\nmid \\exists \\hphantom \\dotsm \\to \\vec \\eta \\not \\Omega \\bmod " +
  "\\item \\sec \\div \\bullet \\dotsb \\lceil \\rceil \\notin \\vdots \\multicolumn \\prime \\overleftrightarrow";
