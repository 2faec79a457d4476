"""LVIS v0.5: the 1230 categories of ``lvis_v0.5_train.json`` / ``lvis_v0.5_val.json``, ids 1..1230.

``LVIS_CATEGORIES`` is the list of category dicts Detectron2 keeps for this version: the json's "categories"
without their image/instance counts, i.e. ``id``, ``name``, ``synonyms``, ``synset``, ``def`` (the WordNet
definition) and ``frequency`` ("r" rare, "c" common, "f" frequent).

LVIS v0.5's frequency groups: 454 rare, 461 common, 315 frequent.
"""
from detectra.data.datasets._lvis_category_table import parse_lvis_category_table

__all__ = ["LVIS_CATEGORIES"]

# one category a line: id | frequency | synset | name | synonyms (", "-separated) | def
_TABLE = r"""
1 | r | acorn.n.01 | acorn | acorn | nut from an oak tree
2 | c | aerosol.n.02 | aerosol_can | aerosol_can, spray_can | a dispenser that holds a substance under pressure
3 | f | air_conditioner.n.01 | air_conditioner | air_conditioner | a machine that keeps air cool and dry
4 | f | airplane.n.01 | airplane | airplane, aeroplane | an aircraft that has a fixed wing and is powered by propellers or jets
5 | c | alarm_clock.n.01 | alarm_clock | alarm_clock | a clock that wakes a sleeper at some preset time
6 | c | alcohol.n.01 | alcohol | alcohol, alcoholic_beverage | a liquor or brew containing alcohol as the active agent
7 | r | alligator.n.02 | alligator | alligator, gator | amphibious reptiles related to crocodiles but with shorter broader snouts
8 | c | almond.n.02 | almond | almond | oval-shaped edible seed of the almond tree
9 | c | ambulance.n.01 | ambulance | ambulance | a vehicle that takes people to and from hospitals
10 | r | amplifier.n.01 | amplifier | amplifier | electronic equipment that increases strength of signals
11 | c | anklet.n.03 | anklet | anklet, ankle_bracelet | an ornament worn around the ankle
12 | f | antenna.n.01 | antenna | antenna, aerial, transmitting_aerial | an electrical device that sends or receives radio or television signals
13 | f | apple.n.01 | apple | apple | fruit with red or yellow or green skin and sweet to tart crisp whitish flesh
14 | r | apple_juice.n.01 | apple_juice | apple_juice | the juice of apples
15 | r | applesauce.n.01 | applesauce | applesauce | puree of stewed apples usually sweetened and spiced
16 | r | apricot.n.02 | apricot | apricot | downy yellow to rosy-colored fruit resembling a small peach
17 | f | apron.n.01 | apron | apron | a garment of cloth that is tied about the waist and worn to protect clothing
18 | c | aquarium.n.01 | aquarium | aquarium, fish_tank | a tank/pool/bowl filled with water for keeping live fish and underwater animals
19 | c | armband.n.02 | armband | armband | a band worn around the upper arm
20 | f | armchair.n.01 | armchair | armchair | chair with a support on each side for arms
21 | r | armoire.n.01 | armoire | armoire | a large wardrobe or cabinet
22 | r | armor.n.01 | armor | armor, armour | protective covering made of metal and used in combat
23 | c | artichoke.n.02 | artichoke | artichoke | a thistlelike flower head with edible fleshy leaves and heart
24 | f | ashcan.n.01 | trash_can | trash_can, garbage_can, wastebin, dustbin, trash_barrel, trash_bin | a bin that holds rubbish until it is collected
25 | c | ashtray.n.01 | ashtray | ashtray | a receptacle for the ash from smokers' cigars or cigarettes
26 | c | asparagus.n.02 | asparagus | asparagus | edible young shoots of the asparagus plant
27 | c | atomizer.n.01 | atomizer | atomizer, atomiser, spray, sprayer, nebulizer, nebuliser | a dispenser that turns a liquid (such as perfume) into a fine mist
28 | c | avocado.n.01 | avocado | avocado | a pear-shaped fruit with green or blackish skin and rich yellowish pulp enclosing a single large seed
29 | c | award.n.02 | award | award, accolade | a tangible symbol signifying approval or distinction
30 | f | awning.n.01 | awning | awning | a canopy made of canvas to shelter people or things from rain or sun
31 | r | ax.n.01 | ax | ax, axe | an edge tool with a heavy bladed head mounted across a handle
32 | f | baby_buggy.n.01 | baby_buggy | baby_buggy, baby_carriage, perambulator, pram, stroller | a small vehicle with four wheels in which a baby or child is pushed around
33 | c | backboard.n.01 | basketball_backboard | basketball_backboard | a raised vertical board with basket attached; used to play basketball
34 | f | backpack.n.01 | backpack | backpack, knapsack, packsack, rucksack, haversack | a bag carried by a strap on your back or shoulder
35 | f | bag.n.04 | handbag | handbag, purse, pocketbook | a container used for carrying money and small personal items or accessories
36 | f | bag.n.06 | suitcase | suitcase, baggage, luggage | cases used to carry belongings when traveling
37 | c | bagel.n.01 | bagel | bagel, beigel | glazed yeast-raised doughnut-shaped roll with hard crust
38 | r | bagpipe.n.01 | bagpipe | bagpipe | a tubular wind instrument; the player blows air into a bag and squeezes it out
39 | r | baguet.n.01 | baguet | baguet, baguette | narrow French stick loaf
40 | r | bait.n.02 | bait | bait, lure | something used to lure fish or other animals into danger so they can be trapped or killed
41 | f | ball.n.06 | ball | ball | a spherical object used as a plaything
42 | r | ballet_skirt.n.01 | ballet_skirt | ballet_skirt, tutu | very short skirt worn by ballerinas
43 | f | balloon.n.01 | balloon | balloon | large tough nonrigid bag filled with gas or heated air
44 | c | bamboo.n.02 | bamboo | bamboo | woody tropical grass having hollow woody stems
45 | f | banana.n.02 | banana | banana | elongated crescent-shaped yellow fruit with soft sweet flesh
46 | r | band_aid.n.01 | Band_Aid | Band_Aid | trade name for an adhesive bandage to cover small cuts or blisters
47 | c | bandage.n.01 | bandage | bandage | a piece of soft material that covers and protects an injured part of the body
48 | c | bandanna.n.01 | bandanna | bandanna, bandana | large and brightly colored handkerchief; often used as a neckerchief
49 | r | banjo.n.01 | banjo | banjo | a stringed instrument of the guitar family with a long neck and circular body
50 | f | banner.n.01 | banner | banner, streamer | long strip of cloth or paper used for decoration or advertising
51 | r | barbell.n.01 | barbell | barbell | a bar to which heavy discs are attached at each end; used in weightlifting
52 | r | barge.n.01 | barge | barge | a flatbottom boat for carrying heavy loads (especially on canals)
53 | f | barrel.n.02 | barrel | barrel, cask | a cylindrical container that holds liquids
54 | c | barrette.n.01 | barrette | barrette | a pin for holding women's hair in place
55 | c | barrow.n.03 | barrow | barrow, garden_cart, lawn_cart, wheelbarrow | a cart for carrying small loads; has handles and one or more wheels
56 | f | base.n.03 | baseball_base | baseball_base | a place that the runner must touch before scoring
57 | f | baseball.n.02 | baseball | baseball | a ball used in playing baseball
58 | f | baseball_bat.n.01 | baseball_bat | baseball_bat | an implement used in baseball by the batter
59 | f | baseball_cap.n.01 | baseball_cap | baseball_cap, jockey_cap, golf_cap | a cap with a bill
60 | f | baseball_glove.n.01 | baseball_glove | baseball_glove, baseball_mitt | the handwear used by fielders in playing baseball
61 | f | basket.n.01 | basket | basket, handbasket | a container that is usually woven and has handles
62 | c | basket.n.03 | basketball_hoop | basketball_hoop | metal hoop supporting a net through which players try to throw the basketball
63 | c | basketball.n.02 | basketball | basketball | an inflated ball used in playing basketball
64 | r | bass_horn.n.01 | bass_horn | bass_horn, sousaphone, tuba | the lowest brass wind instrument
65 | r | bat.n.01 | bat_(animal) | bat_(animal) | nocturnal mouselike mammal with forelimbs modified to form membranous wings
66 | f | bath_mat.n.01 | bath_mat | bath_mat | a heavy towel or mat to stand on while drying yourself after a bath
67 | f | bath_towel.n.01 | bath_towel | bath_towel | a large towel; to dry yourself after a bath
68 | c | bathrobe.n.01 | bathrobe | bathrobe | a loose-fitting robe of towelling; worn after a bath or swim
69 | f | bathtub.n.01 | bathtub | bathtub, bathing_tub | a large open container that you fill with water and use to wash the body
70 | r | batter.n.02 | batter_(food) | batter_(food) | a liquid or semiliquid mixture, as of flour, eggs, and milk, used in cooking
71 | c | battery.n.02 | battery | battery | a portable device that produces electricity
72 | r | beach_ball.n.01 | beachball | beachball | large and light ball; for play at the seaside
73 | c | bead.n.01 | bead | bead | a small ball with a hole through the middle used for ornamentation, jewellery, etc.
74 | r | beaker.n.01 | beaker | beaker | a flatbottomed jar made of glass or plastic; used for chemistry
75 | c | bean_curd.n.01 | bean_curd | bean_curd, tofu | cheeselike food made of curdled soybean milk
76 | c | beanbag.n.01 | beanbag | beanbag | a bag filled with dried beans or similar items; used in games or to sit on
77 | f | beanie.n.01 | beanie | beanie, beany | a small skullcap; formerly worn by schoolboys and college freshmen
78 | f | bear.n.01 | bear | bear | large carnivorous or omnivorous mammals with shaggy coats and claws
79 | f | bed.n.01 | bed | bed | a piece of furniture that provides a place to sleep
80 | c | bedspread.n.01 | bedspread | bedspread, bedcover, bed_covering, counterpane, spread | decorative cover for a bed
81 | f | beef.n.01 | cow | cow | cattle that are reared for their meat
82 | c | beef.n.02 | beef_(food) | beef_(food), boeuf_(food) | meat from an adult domestic bovine
83 | r | beeper.n.01 | beeper | beeper, pager | an device that beeps when the person carrying it is being paged
84 | f | beer_bottle.n.01 | beer_bottle | beer_bottle | a bottle that holds beer
85 | c | beer_can.n.01 | beer_can | beer_can | a can that holds beer
86 | r | beetle.n.01 | beetle | beetle | insect with hard wing covers
87 | f | bell.n.01 | bell | bell | a hollow device made of metal that makes a ringing sound when struck
88 | f | bell_pepper.n.02 | bell_pepper | bell_pepper, capsicum | large bell-shaped sweet pepper in green or red or yellow or orange or black varieties
89 | f | belt.n.02 | belt | belt | a band to tie or buckle around the body (usually at the waist)
90 | f | belt_buckle.n.01 | belt_buckle | belt_buckle | the buckle used to fasten a belt
91 | f | bench.n.01 | bench | bench | a long seat for more than one person
92 | c | beret.n.01 | beret | beret | a cap with no brim or bill; made of soft cloth
93 | c | bib.n.02 | bib | bib | a napkin tied under the chin of a child while eating
94 | r | bible.n.01 | Bible | Bible | the sacred writings of the Christian religions
95 | f | bicycle.n.01 | bicycle | bicycle, bike_(bicycle) | a wheeled vehicle that has two wheels and is moved by foot pedals
96 | f | bill.n.09 | visor | visor, vizor | a brim that projects to the front to shade the eyes
97 | c | binder.n.03 | binder | binder, ring-binder | holds loose papers or magazines
98 | c | binoculars.n.01 | binoculars | binoculars, field_glasses, opera_glasses | an optical instrument designed for simultaneous use by both eyes
99 | f | bird.n.01 | bird | bird | animal characterized by feathers and wings
100 | r | bird_feeder.n.01 | birdfeeder | birdfeeder | an outdoor device that supplies food for wild birds
101 | r | birdbath.n.01 | birdbath | birdbath | an ornamental basin (usually in a garden) for birds to bathe in
102 | c | birdcage.n.01 | birdcage | birdcage | a cage in which a bird can be kept
103 | c | birdhouse.n.01 | birdhouse | birdhouse | a shelter for birds
104 | f | birthday_cake.n.01 | birthday_cake | birthday_cake | decorated cake served at a birthday party
105 | r | birthday_card.n.01 | birthday_card | birthday_card | a card expressing a birthday greeting
106 | r | biscuit.n.01 | biscuit_(bread) | biscuit_(bread) | small round bread leavened with baking-powder or soda
107 | r | black_flag.n.01 | pirate_flag | pirate_flag | a flag usually bearing a white skull and crossbones on a black background
108 | c | black_sheep.n.02 | black_sheep | black_sheep | sheep with a black coat
109 | c | blackboard.n.01 | blackboard | blackboard, chalkboard | sheet of slate; for writing with chalk
110 | f | blanket.n.01 | blanket | blanket | bedding that keeps a person warm in bed
111 | c | blazer.n.01 | blazer | blazer, sport_jacket, sport_coat, sports_jacket, sports_coat | lightweight jacket; often striped in the colors of a club or school
112 | f | blender.n.01 | blender | blender, liquidizer, liquidiser | an electrically powered mixer that mix or chop or liquefy foods
113 | r | blimp.n.02 | blimp | blimp | a small nonrigid airship used for observation or as a barrage balloon
114 | c | blinker.n.01 | blinker | blinker, flasher | a light that flashes on and off; used as a signal or to send messages
115 | c | blueberry.n.02 | blueberry | blueberry | sweet edible dark-blue berries of blueberry plants
116 | r | boar.n.02 | boar | boar | an uncastrated male hog
117 | r | board.n.09 | gameboard | gameboard | a flat portable surface (usually rectangular) designed for board games
118 | f | boat.n.01 | boat | boat, ship_(boat) | a vessel for travel on water
119 | c | bobbin.n.01 | bobbin | bobbin, spool, reel | a thing around which thread/tape/film or other flexible materials can be wound
120 | r | bobby_pin.n.01 | bobby_pin | bobby_pin, hairgrip | a flat wire hairpin used to hold bobbed hair in place
121 | c | boiled_egg.n.01 | boiled_egg | boiled_egg, coddled_egg | egg cooked briefly in the shell in gently boiling water
122 | r | bolo_tie.n.01 | bolo_tie | bolo_tie, bolo, bola_tie, bola | a cord fastened around the neck with an ornamental clasp and worn as a necktie
123 | c | bolt.n.03 | deadbolt | deadbolt | the part of a lock that is engaged or withdrawn with a key
124 | f | bolt.n.06 | bolt | bolt | a screw that screws into a nut to form a fastener
125 | r | bonnet.n.01 | bonnet | bonnet | a hat tied under the chin
126 | f | book.n.01 | book | book | a written work or composition that has been published
127 | r | book_bag.n.01 | book_bag | book_bag | a bag in which students carry their books
128 | c | bookcase.n.01 | bookcase | bookcase | a piece of furniture with shelves for storing books
129 | c | booklet.n.01 | booklet | booklet, brochure, leaflet, pamphlet | a small book usually having a paper cover
130 | r | bookmark.n.01 | bookmark | bookmark, bookmarker | a marker (a piece of paper or ribbon) placed between the pages of a book
131 | r | boom.n.04 | boom_microphone | boom_microphone, microphone_boom | a pole carrying an overhead microphone projected over a film or tv set
132 | f | boot.n.01 | boot | boot | footwear that covers the whole foot and lower leg
133 | f | bottle.n.01 | bottle | bottle | a glass or plastic vessel used for storing drinks or other liquids
134 | c | bottle_opener.n.01 | bottle_opener | bottle_opener | an opener for removing caps or corks from bottles
135 | c | bouquet.n.01 | bouquet | bouquet | an arrangement of flowers that is usually given as a present
136 | r | bow.n.04 | bow_(weapon) | bow_(weapon) | a weapon for shooting arrows
137 | f | bow.n.08 | bow_(decorative_ribbons) | bow_(decorative_ribbons) | a decorative interlacing of ribbons
138 | f | bow_tie.n.01 | bow-tie | bow-tie, bowtie | a man's tie that ties in a bow
139 | f | bowl.n.03 | bowl | bowl | a dish that is round and open at the top for serving foods
140 | r | bowl.n.08 | pipe_bowl | pipe_bowl | a small round container that is open at the top for holding tobacco
141 | c | bowler_hat.n.01 | bowler_hat | bowler_hat, bowler, derby_hat, derby, plug_hat | a felt hat that is round and hard with a narrow brim
142 | r | bowling_ball.n.01 | bowling_ball | bowling_ball | a large ball with finger holes used in the sport of bowling
143 | r | bowling_pin.n.01 | bowling_pin | bowling_pin | a club-shaped wooden object used in bowling
144 | r | boxing_glove.n.01 | boxing_glove | boxing_glove | large glove coverings the fists of a fighter worn for the sport of boxing
145 | c | brace.n.06 | suspenders | suspenders | elastic straps that hold trousers up (usually used in the plural)
146 | f | bracelet.n.02 | bracelet | bracelet, bangle | jewelry worn around the wrist for decoration
147 | r | brass.n.07 | brass_plaque | brass_plaque | a memorial made of brass
148 | c | brassiere.n.01 | brassiere | brassiere, bra, bandeau | an undergarment worn by women to support their breasts
149 | c | bread-bin.n.01 | bread-bin | bread-bin, breadbox | a container used to keep bread or cake in
150 | r | breechcloth.n.01 | breechcloth | breechcloth, breechclout, loincloth | a garment that provides covering for the loins
151 | c | bridal_gown.n.01 | bridal_gown | bridal_gown, wedding_gown, wedding_dress | a gown worn by the bride at a wedding
152 | c | briefcase.n.01 | briefcase | briefcase | a case with a handle; for carrying papers or files or books
153 | c | bristle_brush.n.01 | bristle_brush | bristle_brush | a brush that is made with the short stiff hairs of an animal or plant
154 | f | broccoli.n.01 | broccoli | broccoli | plant with dense clusters of tight green flower buds
155 | r | brooch.n.01 | broach | broach | a decorative pin worn by women
156 | c | broom.n.01 | broom | broom | bundle of straws or twigs attached to a long handle; used for cleaning
157 | c | brownie.n.03 | brownie | brownie | square or bar of very rich chocolate cake usually with nuts
158 | c | brussels_sprouts.n.01 | brussels_sprouts | brussels_sprouts | the small edible cabbage-like buds growing along a stalk
159 | r | bubble_gum.n.01 | bubble_gum | bubble_gum | a kind of chewing gum that can be blown into bubbles
160 | f | bucket.n.01 | bucket | bucket, pail | a roughly cylindrical vessel that is open at the top
161 | r | buggy.n.01 | horse_buggy | horse_buggy | a small lightweight carriage; drawn by a single horse
162 | c | bull.n.11 | bull | bull | mature male cow
163 | r | bulldog.n.01 | bulldog | bulldog | a thickset short-haired dog with a large head and strong undershot lower jaw
164 | r | bulldozer.n.01 | bulldozer | bulldozer, dozer | large powerful tractor; a large blade in front flattens areas of ground
165 | c | bullet_train.n.01 | bullet_train | bullet_train | a high-speed passenger train
166 | c | bulletin_board.n.02 | bulletin_board | bulletin_board, notice_board | a board that hangs on a wall; displays announcements
167 | r | bulletproof_vest.n.01 | bulletproof_vest | bulletproof_vest | a vest capable of resisting the impact of a bullet
168 | c | bullhorn.n.01 | bullhorn | bullhorn, megaphone | a portable loudspeaker with built-in microphone and amplifier
169 | r | bully_beef.n.01 | corned_beef | corned_beef, corn_beef | beef cured or pickled in brine
170 | f | bun.n.01 | bun | bun, roll | small rounded bread either plain or sweet
171 | c | bunk_bed.n.01 | bunk_bed | bunk_bed | beds built one above the other
172 | f | buoy.n.01 | buoy | buoy | a float attached by rope to the seabed to mark channels in a harbor or underwater hazards
173 | r | burrito.n.01 | burrito | burrito | a flour tortilla folded around a filling
174 | f | bus.n.01 | bus_(vehicle) | bus_(vehicle), autobus, charabanc, double-decker, motorbus, motorcoach | a vehicle carrying many passengers; used for public transport
175 | c | business_card.n.01 | business_card | business_card | a card on which are printed the person's name and business affiliation
176 | c | butcher_knife.n.01 | butcher_knife | butcher_knife | a large sharp knife for cutting or trimming meat
177 | c | butter.n.01 | butter | butter | an edible emulsion of fat globules made by churning milk or cream; for cooking and table use
178 | c | butterfly.n.01 | butterfly | butterfly | insect typically having a slender body with knobbed antennae and broad colorful wings
179 | f | button.n.01 | button | button | a round fastener sewn to shirts and coats etc to fit through buttonholes
180 | f | cab.n.03 | cab_(taxi) | cab_(taxi), taxi, taxicab | a car that takes passengers where they want to go in exchange for money
181 | r | cabana.n.01 | cabana | cabana | a small tent used as a dressing room beside the sea or a swimming pool
182 | r | cabin_car.n.01 | cabin_car | cabin_car, caboose | a car on a freight train for use of the train crew; usually the last car on the train
183 | f | cabinet.n.01 | cabinet | cabinet | a piece of furniture resembling a cupboard with doors and shelves and drawers
184 | r | cabinet.n.03 | locker | locker, storage_locker | a storage compartment for clothes and valuables; usually it has a lock
185 | f | cake.n.03 | cake | cake | baked goods made from or based on a mixture of flour, sugar, eggs, and fat
186 | c | calculator.n.02 | calculator | calculator | a small machine that is used for mathematical calculations
187 | f | calendar.n.02 | calendar | calendar | a list or register of events (appointments/social events/court cases, etc)
188 | c | calf.n.01 | calf | calf | young of domestic cattle
189 | c | camcorder.n.01 | camcorder | camcorder | a portable television camera and videocassette recorder
190 | c | camel.n.01 | camel | camel | cud-chewing mammal used as a draft or saddle animal in desert regions
191 | f | camera.n.01 | camera | camera | equipment for taking photographs
192 | c | camera_lens.n.01 | camera_lens | camera_lens | a lens that focuses the image in a camera
193 | c | camper.n.02 | camper_(vehicle) | camper_(vehicle), camping_bus, motor_home | a recreational vehicle equipped for camping out while traveling
194 | f | can.n.01 | can | can, tin_can | airtight sealed metal container for food or drink or paint etc.
195 | c | can_opener.n.01 | can_opener | can_opener, tin_opener | a device for cutting cans open
196 | r | candelabrum.n.01 | candelabrum | candelabrum, candelabra | branched candlestick; ornamental; has several lights
197 | f | candle.n.01 | candle | candle, candlestick | stick of wax with a wick in the middle
198 | f | candlestick.n.01 | candle_holder | candle_holder | a holder with sockets for candles
199 | r | candy_bar.n.01 | candy_bar | candy_bar | a candy shaped as a bar
200 | c | candy_cane.n.01 | candy_cane | candy_cane | a hard candy in the shape of a rod (usually with stripes)
201 | c | cane.n.01 | walking_cane | walking_cane | a stick that people can lean on to help them walk
202 | c | canister.n.02 | canister | canister, cannister | metal container for storing dry foods such as tea or flour
203 | r | cannon.n.02 | cannon | cannon | heavy gun fired from a tank
204 | c | canoe.n.01 | canoe | canoe | small and light boat; pointed at both ends; propelled with a paddle
205 | r | cantaloup.n.02 | cantaloup | cantaloup, cantaloupe | the fruit of a cantaloup vine; small to medium-sized melon with yellowish flesh
206 | r | canteen.n.01 | canteen | canteen | a flask for carrying water; used by soldiers or travelers
207 | c | cap.n.01 | cap_(headwear) | cap_(headwear) | a tight-fitting headwear
208 | f | cap.n.02 | bottle_cap | bottle_cap, cap_(container_lid) | a top (as for a bottle)
209 | r | cape.n.02 | cape | cape | a sleeveless garment like a cloak but shorter
210 | c | cappuccino.n.01 | cappuccino | cappuccino, coffee_cappuccino | equal parts of espresso and steamed milk
211 | f | car.n.01 | car_(automobile) | car_(automobile), auto_(automobile), automobile | a motor vehicle with four wheels
212 | f | car.n.02 | railcar_(part_of_a_train) | railcar_(part_of_a_train), railway_car_(part_of_a_train), railroad_car_(part_of_a_train) | a wheeled vehicle adapted to the rails of railroad
213 | r | car.n.04 | elevator_car | elevator_car | where passengers ride up and down
214 | r | car_battery.n.01 | car_battery | car_battery, automobile_battery | a battery in a motor vehicle
215 | c | card.n.02 | identity_card | identity_card | a card certifying the identity of the bearer
216 | c | card.n.03 | card | card | a rectangular piece of paper used to send messages (e.g. greetings or pictures)
217 | r | cardigan.n.01 | cardigan | cardigan | knitted jacket that is fastened up the front with buttons or a zipper
218 | r | cargo_ship.n.01 | cargo_ship | cargo_ship, cargo_vessel | a ship designed to carry cargo
219 | r | carnation.n.01 | carnation | carnation | plant with pink to purple-red spice-scented usually double flowers
220 | c | carriage.n.02 | horse_carriage | horse_carriage | a vehicle with wheels drawn by one or more horses
221 | f | carrot.n.01 | carrot | carrot | deep orange edible root of the cultivated carrot plant
222 | c | carryall.n.01 | tote_bag | tote_bag | a capacious bag or basket
223 | c | cart.n.01 | cart | cart | a heavy open wagon usually having two wheels and drawn by an animal
224 | c | carton.n.02 | carton | carton | a box made of cardboard; opens by flaps on top
225 | c | cash_register.n.01 | cash_register | cash_register, register_(for_cash_transactions) | a cashbox with an adding machine to register transactions
226 | r | casserole.n.01 | casserole | casserole | food cooked and served in a casserole
227 | r | cassette.n.01 | cassette | cassette | a container that holds a magnetic tape used for recording or playing sound or video
228 | c | cast.n.05 | cast | cast, plaster_cast, plaster_bandage | bandage consisting of a firm covering that immobilizes broken bones while they heal
229 | f | cat.n.01 | cat | cat | a domestic house cat
230 | c | cauliflower.n.02 | cauliflower | cauliflower | edible compact head of white undeveloped flowers
231 | r | caviar.n.01 | caviar | caviar, caviare | salted roe of sturgeon or other large fish; usually served as an hors d'oeuvre
232 | c | cayenne.n.02 | cayenne_(spice) | cayenne_(spice), cayenne_pepper_(spice), red_pepper_(spice) | ground pods and seeds of pungent red peppers of the genus Capsicum
233 | c | cd_player.n.01 | CD_player | CD_player | electronic equipment for playing compact discs (CDs)
234 | c | celery.n.01 | celery | celery | widely cultivated herb with aromatic leaf stalks that are eaten raw or cooked
235 | f | cellular_telephone.n.01 | cellular_telephone | cellular_telephone, cellular_phone, cellphone, mobile_phone, smart_phone | a hand-held mobile telephone
236 | r | chain_mail.n.01 | chain_mail | chain_mail, ring_mail, chain_armor, chain_armour, ring_armor, ring_armour | (Middle Ages) flexible armor made of interlinked metal rings
237 | f | chair.n.01 | chair | chair | a seat for one person, with a support for the back
238 | r | chaise_longue.n.01 | chaise_longue | chaise_longue, chaise, daybed | a long chair; for reclining
239 | r | champagne.n.01 | champagne | champagne | a white sparkling wine produced in Champagne or resembling that produced there
240 | f | chandelier.n.01 | chandelier | chandelier | branched lighting fixture; often ornate; hangs from the ceiling
241 | r | chap.n.04 | chap | chap | leather leggings without a seat; worn over trousers by cowboys to protect their legs
242 | r | checkbook.n.01 | checkbook | checkbook, chequebook | a book issued to holders of checking accounts
243 | r | checkerboard.n.01 | checkerboard | checkerboard | a board having 64 squares of two alternating colors
244 | c | cherry.n.03 | cherry | cherry | a red fruit with a single hard stone
245 | r | chessboard.n.01 | chessboard | chessboard | a checkerboard used to play chess
246 | r | chest_of_drawers.n.01 | chest_of_drawers_(furniture) | chest_of_drawers_(furniture), bureau_(furniture), chest_(furniture) | furniture with drawers for keeping clothes
247 | c | chicken.n.02 | chicken_(animal) | chicken_(animal) | a domestic fowl bred for flesh or eggs
248 | c | chicken_wire.n.01 | chicken_wire | chicken_wire | a galvanized wire network with a hexagonal mesh; used to build fences
249 | r | chickpea.n.01 | chickpea | chickpea, garbanzo | the seed of the chickpea plant; usually dried
250 | r | chihuahua.n.03 | Chihuahua | Chihuahua | an old breed of tiny short-haired dog with protruding eyes from Mexico
251 | r | chili.n.02 | chili_(vegetable) | chili_(vegetable), chili_pepper_(vegetable), chilli_(vegetable), chilly_(vegetable), chile_(vegetable) | very hot and finely tapering pepper of special pungency
252 | r | chime.n.01 | chime | chime, gong | an instrument consisting of a set of bells that are struck with a hammer
253 | r | chinaware.n.01 | chinaware | chinaware | dishware made of high quality porcelain
254 | c | chip.n.04 | crisp_(potato_chip) | crisp_(potato_chip), potato_chip | a thin crisp slice of potato fried in deep fat
255 | r | chip.n.06 | poker_chip | poker_chip | a small disk-shaped counter used to represent money when gambling
256 | c | chocolate_bar.n.01 | chocolate_bar | chocolate_bar | a bar of chocolate candy
257 | c | chocolate_cake.n.01 | chocolate_cake | chocolate_cake | cake containing chocolate
258 | r | chocolate_milk.n.01 | chocolate_milk | chocolate_milk | milk flavored with chocolate syrup
259 | r | chocolate_mousse.n.01 | chocolate_mousse | chocolate_mousse | dessert mousse made with chocolate
260 | f | choker.n.03 | choker | choker, collar, neckband | necklace that fits tightly around the neck
261 | f | chopping_board.n.01 | chopping_board | chopping_board, cutting_board, chopping_block | a wooden board where meats or vegetables can be cut
262 | c | chopstick.n.01 | chopstick | chopstick | one of a pair of slender sticks used as oriental tableware to eat food with
263 | f | christmas_tree.n.05 | Christmas_tree | Christmas_tree | an ornamented evergreen used as a Christmas decoration
264 | c | chute.n.02 | slide | slide | sloping channel through which things can descend
265 | r | cider.n.01 | cider | cider, cyder | a beverage made from juice pressed from apples
266 | r | cigar_box.n.01 | cigar_box | cigar_box | a box for holding cigars
267 | c | cigarette.n.01 | cigarette | cigarette | finely ground tobacco wrapped in paper; for smoking
268 | c | cigarette_case.n.01 | cigarette_case | cigarette_case, cigarette_pack | a small flat case for holding cigarettes
269 | f | cistern.n.02 | cistern | cistern, water_tank | a tank that holds the water used to flush a toilet
270 | r | clarinet.n.01 | clarinet | clarinet | a single-reed instrument with a straight tube
271 | r | clasp.n.01 | clasp | clasp | a fastener (as a buckle or hook) that is used to hold two things together
272 | c | cleansing_agent.n.01 | cleansing_agent | cleansing_agent, cleanser, cleaner | a preparation used in cleaning something
273 | r | clementine.n.01 | clementine | clementine | a variety of mandarin orange
274 | c | clip.n.03 | clip | clip | any of various small fasteners used to hold loose articles together
275 | c | clipboard.n.01 | clipboard | clipboard | a small writing board with a clip at the top for holding papers
276 | f | clock.n.01 | clock | clock, timepiece, timekeeper | a timepiece that shows the time of day
277 | f | clock_tower.n.01 | clock_tower | clock_tower | a tower with a large clock visible high up on an outside face
278 | c | clothes_hamper.n.01 | clothes_hamper | clothes_hamper, laundry_basket, clothes_basket | a hamper that holds dirty clothes to be washed or wet clothes to be dried
279 | c | clothespin.n.01 | clothespin | clothespin, clothes_peg | wood or plastic fastener; for holding clothes on a clothesline
280 | r | clutch_bag.n.01 | clutch_bag | clutch_bag | a woman's strapless purse that is carried in the hand
281 | f | coaster.n.03 | coaster | coaster | a covering (plate or mat) that protects the surface of a table
282 | f | coat.n.01 | coat | coat | an outer garment that has sleeves and covers the body from shoulder down
283 | c | coat_hanger.n.01 | coat_hanger | coat_hanger, clothes_hanger, dress_hanger | a hanger that is shaped like a person's shoulders
284 | r | coatrack.n.01 | coatrack | coatrack, hatrack | a rack with hooks for temporarily holding coats and hats
285 | c | cock.n.04 | cock | cock, rooster | adult male chicken
286 | c | coconut.n.02 | coconut | coconut, cocoanut | large hard-shelled brown oval nut with a fibrous husk
287 | r | coffee_filter.n.01 | coffee_filter | coffee_filter | filter (usually of paper) that passes the coffee and retains the coffee grounds
288 | f | coffee_maker.n.01 | coffee_maker | coffee_maker, coffee_machine | a kitchen appliance for brewing coffee automatically
289 | f | coffee_table.n.01 | coffee_table | coffee_table, cocktail_table | low table where magazines can be placed and coffee or cocktails are served
290 | c | coffeepot.n.01 | coffeepot | coffeepot | tall pot in which coffee is brewed
291 | r | coil.n.05 | coil | coil | tubing that is wound in a spiral
292 | c | coin.n.01 | coin | coin | a flat metal piece (usually a disc) used as money
293 | r | colander.n.01 | colander | colander, cullender | bowl-shaped strainer; used to wash or drain foods
294 | c | coleslaw.n.01 | coleslaw | coleslaw, slaw | basically shredded cabbage
295 | r | coloring_material.n.01 | coloring_material | coloring_material, colouring_material | any material used for its color
296 | r | combination_lock.n.01 | combination_lock | combination_lock | lock that can be opened only by turning dials in a special sequence
297 | c | comforter.n.04 | pacifier | pacifier, teething_ring | device used for an infant to suck or bite on
298 | r | comic_book.n.01 | comic_book | comic_book | a magazine devoted to comic strips
299 | f | computer_keyboard.n.01 | computer_keyboard | computer_keyboard, keyboard_(computer) | a keyboard that is a data input device for computers
300 | r | concrete_mixer.n.01 | concrete_mixer | concrete_mixer, cement_mixer | a machine with a large revolving drum in which cement/concrete is mixed
301 | f | cone.n.01 | cone | cone, traffic_cone | a cone-shaped object used to direct traffic
302 | f | control.n.09 | control | control, controller | a mechanism that controls the operation of a machine
303 | r | convertible.n.01 | convertible_(automobile) | convertible_(automobile) | a car that has top that can be folded or removed
304 | r | convertible.n.03 | sofa_bed | sofa_bed | a sofa that can be converted into a bed
305 | c | cookie.n.01 | cookie | cookie, cooky, biscuit_(cookie) | any of various small flat sweet cakes (`biscuit' is the British term)
306 | r | cookie_jar.n.01 | cookie_jar | cookie_jar, cooky_jar | a jar in which cookies are kept (and sometimes money is hidden)
307 | r | cooking_utensil.n.01 | cooking_utensil | cooking_utensil | a kitchen utensil made of material that does not melt easily; used for cooking
308 | f | cooler.n.01 | cooler_(for_food) | cooler_(for_food), ice_chest | an insulated box for storing food often with ice
309 | c | cork.n.04 | cork_(bottle_plug) | cork_(bottle_plug), bottle_cork | the plug in the mouth of a bottle (especially a wine bottle)
310 | r | corkboard.n.01 | corkboard | corkboard | a sheet consisting of cork granules
311 | r | corkscrew.n.01 | corkscrew | corkscrew, bottle_screw | a bottle opener that pulls corks
312 | c | corn.n.03 | edible_corn | edible_corn, corn, maize | ears of corn that can be prepared and served for human food
313 | r | cornbread.n.01 | cornbread | cornbread | bread made primarily of cornmeal
314 | c | cornet.n.01 | cornet | cornet, horn, trumpet | a brass musical instrument with a narrow tube and a flared bell and many valves
315 | c | cornice.n.01 | cornice | cornice, valance, valance_board, pelmet | a decorative framework to conceal curtain fixtures at the top of a window casing
316 | r | cornmeal.n.01 | cornmeal | cornmeal | coarsely ground corn
317 | r | corset.n.01 | corset | corset, girdle | a woman's close-fitting foundation garment
318 | r | cos.n.02 | romaine_lettuce | romaine_lettuce | lettuce with long dark-green leaves in a loosely packed elongated head
319 | c | costume.n.04 | costume | costume | the attire characteristic of a country or a time or a social class
320 | r | cougar.n.01 | cougar | cougar, puma, catamount, mountain_lion, panther | large American feline resembling a lion
321 | r | coverall.n.01 | coverall | coverall | a loose-fitting protective garment that is worn over other clothing
322 | r | cowbell.n.01 | cowbell | cowbell | a bell hung around the neck of cow so that the cow can be easily located
323 | f | cowboy_hat.n.01 | cowboy_hat | cowboy_hat, ten-gallon_hat | a hat with a wide brim and a soft crown; worn by American ranch hands
324 | r | crab.n.01 | crab_(animal) | crab_(animal) | decapod having eyes on short stalks and a broad flattened shell and pincers
325 | c | cracker.n.01 | cracker | cracker | a thin crisp wafer
326 | r | crape.n.01 | crape | crape, crepe, French_pancake | small very thin pancake
327 | f | crate.n.01 | crate | crate | a rugged box (usually made of wood); used for shipping
328 | r | crayon.n.01 | crayon | crayon, wax_crayon | writing or drawing implement made of a colored stick of composition wax
329 | r | cream_pitcher.n.01 | cream_pitcher | cream_pitcher | a small pitcher for serving cream
330 | r | credit_card.n.01 | credit_card | credit_card, charge_card, debit_card | a card, usually plastic, used to pay for goods and services
331 | c | crescent_roll.n.01 | crescent_roll | crescent_roll, croissant | very rich flaky crescent-shaped roll
332 | c | crib.n.01 | crib | crib, cot | baby bed with high sides made of slats
333 | c | crock.n.03 | crock_pot | crock_pot, earthenware_jar | an earthen jar (made of baked clay)
334 | f | crossbar.n.01 | crossbar | crossbar | a horizontal bar that goes across something
335 | r | crouton.n.01 | crouton | crouton | a small piece of toasted or fried bread; served in soup or salads
336 | r | crow.n.01 | crow | crow | black birds having a raucous call
337 | c | crown.n.04 | crown | crown | an ornamental jeweled headdress signifying sovereignty
338 | c | crucifix.n.01 | crucifix | crucifix | representation of the cross on which Jesus died
339 | c | cruise_ship.n.01 | cruise_ship | cruise_ship, cruise_liner | a passenger ship used commercially for pleasure cruises
340 | c | cruiser.n.01 | police_cruiser | police_cruiser, patrol_car, police_car, squad_car | a car in which policemen cruise the streets
341 | c | crumb.n.03 | crumb | crumb | small piece of e.g. bread or cake
342 | r | crutch.n.01 | crutch | crutch | a wooden or metal staff that fits under the armpit and reaches to the ground
343 | c | cub.n.03 | cub_(animal) | cub_(animal) | the young of certain carnivorous mammals such as the bear or wolf or lion
344 | r | cube.n.05 | cube | cube, square_block | a block in the (approximate) shape of a cube
345 | f | cucumber.n.02 | cucumber | cucumber, cuke | cylindrical green fruit with thin green rind and white flesh eaten as a vegetable
346 | c | cufflink.n.01 | cufflink | cufflink | jewelry consisting of linked buttons used to fasten the cuffs of a shirt
347 | f | cup.n.01 | cup | cup | a small open container usually used for drinking; usually has a handle
348 | c | cup.n.08 | trophy_cup | trophy_cup | a metal vessel with handles that is awarded as a trophy to a competition winner
349 | c | cupcake.n.01 | cupcake | cupcake | small cake baked in a muffin tin
350 | r | curler.n.01 | hair_curler | hair_curler, hair_roller, hair_crimper | a cylindrical tube around which the hair is wound to curl it
351 | r | curling_iron.n.01 | curling_iron | curling_iron | a cylindrical home appliance that heats hair that has been curled around it
352 | f | curtain.n.01 | curtain | curtain, drapery | hanging cloth used as a blind (especially for a window)
353 | f | cushion.n.03 | cushion | cushion | a soft bag filled with air or padding such as feathers or foam rubber
354 | r | custard.n.01 | custard | custard | sweetened mixture of milk and eggs baked or boiled or frozen
355 | c | cutter.n.06 | cutting_tool | cutting_tool | a cutting implement; a tool for cutting
356 | r | cylinder.n.04 | cylinder | cylinder | a cylindrical container
357 | r | cymbal.n.01 | cymbal | cymbal | a percussion instrument consisting of a concave brass disk
358 | r | dachshund.n.01 | dachshund | dachshund, dachsie, badger_dog | small long-bodied short-legged breed of dog having a short sleek coat and long drooping ears
359 | r | dagger.n.01 | dagger | dagger | a short knife with a pointed blade used for piercing or stabbing
360 | r | dartboard.n.01 | dartboard | dartboard | a circular board of wood or cork used as the target in the game of darts
361 | r | date.n.08 | date_(fruit) | date_(fruit) | sweet edible fruit of the date palm with a single long woody seed
362 | f | deck_chair.n.01 | deck_chair | deck_chair, beach_chair | a folding chair for use outdoors; a wooden frame supports a length of canvas
363 | c | deer.n.01 | deer | deer, cervid | distinguished from Bovidae by the male's having solid deciduous antlers
364 | c | dental_floss.n.01 | dental_floss | dental_floss, floss | a soft thread for cleaning the spaces between the teeth
365 | f | desk.n.01 | desk | desk | a piece of furniture with a writing surface and usually drawers or other compartments
366 | r | detergent.n.01 | detergent | detergent | a surface-active chemical widely used in industry and laundering
367 | c | diaper.n.01 | diaper | diaper | garment consisting of a folded cloth drawn up between the legs and fastened at the waist
368 | r | diary.n.01 | diary | diary, journal | a daily written record of (usually personal) experiences and observations
369 | r | die.n.01 | die | die, dice | a small cube with 1 to 6 spots on the six faces; used in gambling
370 | r | dinghy.n.01 | dinghy | dinghy, dory, rowboat | a small boat of shallow draft with seats and oars with which it is propelled
371 | f | dining_table.n.01 | dining_table | dining_table | a table at which meals are served
372 | r | dinner_jacket.n.01 | tux | tux, tuxedo | semiformal evening dress for men
373 | c | dish.n.01 | dish | dish | a piece of dishware normally used as a container for holding or serving food
374 | c | dish.n.05 | dish_antenna | dish_antenna | directional antenna consisting of a parabolic reflector
375 | c | dishrag.n.01 | dishrag | dishrag, dishcloth | a cloth for washing dishes
376 | c | dishtowel.n.01 | dishtowel | dishtowel, tea_towel | a towel for drying dishes
377 | f | dishwasher.n.01 | dishwasher | dishwasher, dishwashing_machine | a machine for washing dishes
378 | r | dishwasher_detergent.n.01 | dishwasher_detergent | dishwasher_detergent, dishwashing_detergent, dishwashing_liquid | a low-sudsing detergent designed for use in dishwashers
379 | r | diskette.n.01 | diskette | diskette, floppy, floppy_disk | a small plastic magnetic disk enclosed in a stiff envelope used to store data
380 | c | dispenser.n.01 | dispenser | dispenser | a container so designed that the contents can be used in prescribed amounts
381 | c | dixie_cup.n.01 | Dixie_cup | Dixie_cup, paper_cup | a disposable cup made of paper; for holding drinks
382 | f | dog.n.01 | dog | dog | a common domesticated dog
383 | f | dog_collar.n.01 | dog_collar | dog_collar | a collar for a dog
384 | c | doll.n.01 | doll | doll | a toy replica of a HUMAN (NOT AN ANIMAL)
385 | r | dollar.n.02 | dollar | dollar, dollar_bill, one_dollar_bill | a piece of paper money worth one dollar
386 | r | dolphin.n.02 | dolphin | dolphin | any of various small toothed whales with a beaklike snout; larger than porpoises
387 | c | domestic_ass.n.01 | domestic_ass | domestic_ass, donkey | domestic beast of burden descended from the African wild ass; patient but stubborn
388 | r | domino.n.03 | eye_mask | eye_mask | a mask covering the upper part of the face but with holes for the eyes
389 | r | doorbell.n.01 | doorbell | doorbell, buzzer | a button at an outer door that gives a ringing or buzzing signal when pushed
390 | f | doorknob.n.01 | doorknob | doorknob, doorhandle | a knob used to open a door (often called `doorhandle' in Great Britain)
391 | c | doormat.n.02 | doormat | doormat, welcome_mat | a mat placed outside an exterior door for wiping the shoes before entering
392 | f | doughnut.n.02 | doughnut | doughnut, donut | a small ring-shaped friedcake
393 | r | dove.n.01 | dove | dove | any of numerous small pigeons
394 | r | dragonfly.n.01 | dragonfly | dragonfly | slender-bodied non-stinging insect having iridescent wings that are outspread at rest
395 | f | drawer.n.01 | drawer | drawer | a boxlike container in a piece of furniture; made so as to slide in and out
396 | c | drawers.n.01 | underdrawers | underdrawers, boxers, boxershorts | underpants worn by men
397 | f | dress.n.01 | dress | dress, frock | a one-piece garment for a woman; has skirt and bodice
398 | c | dress_hat.n.01 | dress_hat | dress_hat, high_hat, opera_hat, silk_hat, top_hat | a man's hat with a tall crown; usually covered with silk or with beaver fur
399 | c | dress_suit.n.01 | dress_suit | dress_suit | formalwear consisting of full evening dress for men
400 | c | dresser.n.05 | dresser | dresser | a cabinet with shelves
401 | c | drill.n.01 | drill | drill | a tool with a sharp rotating point for making holes in hard materials
402 | r | drinking_fountain.n.01 | drinking_fountain | drinking_fountain | a public fountain to provide a jet of drinking water
403 | r | drone.n.04 | drone | drone | an aircraft without a pilot that is operated by remote control
404 | r | dropper.n.01 | dropper | dropper, eye_dropper | pipet consisting of a small tube with a vacuum bulb at one end for drawing liquid in and releasing it a drop at a time
405 | c | drum.n.01 | drum_(musical_instrument) | drum_(musical_instrument) | a musical percussion instrument; usually consists of a hollow cylinder with a membrane stretched across each end
406 | r | drumstick.n.02 | drumstick | drumstick | a stick used for playing a drum
407 | f | duck.n.01 | duck | duck | small web-footed broad-billed swimming bird
408 | r | duckling.n.02 | duckling | duckling | young duck
409 | c | duct_tape.n.01 | duct_tape | duct_tape | a wide silvery adhesive tape
410 | f | duffel_bag.n.01 | duffel_bag | duffel_bag, duffle_bag, duffel, duffle | a large cylindrical bag of heavy cloth
411 | r | dumbbell.n.01 | dumbbell | dumbbell | an exercising weight with two ball-like ends connected by a short handle
412 | c | dumpster.n.01 | dumpster | dumpster | a container designed to receive and transport and dump waste
413 | r | dustpan.n.02 | dustpan | dustpan | a short-handled receptacle into which dust can be swept
414 | r | dutch_oven.n.02 | Dutch_oven | Dutch_oven | iron or earthenware cooking pot; used for stews
415 | c | eagle.n.01 | eagle | eagle | large birds of prey noted for their broad wings and strong soaring flight
416 | f | earphone.n.01 | earphone | earphone, earpiece, headphone | device for listening to audio that is held over or inserted into the ear
417 | r | earplug.n.01 | earplug | earplug | a soft plug that is inserted into the ear canal to block sound
418 | f | earring.n.01 | earring | earring | jewelry to ornament the ear
419 | c | easel.n.01 | easel | easel | an upright tripod for displaying something (usually an artist's canvas)
420 | r | eclair.n.01 | eclair | eclair | oblong cream puff
421 | r | eel.n.01 | eel | eel | an elongate fish with fatty flesh
422 | f | egg.n.02 | egg | egg, eggs | oval reproductive body of a fowl (especially a hen) used as food
423 | r | egg_roll.n.01 | egg_roll | egg_roll, spring_roll | minced vegetables and meat wrapped in a pancake and fried
424 | c | egg_yolk.n.01 | egg_yolk | egg_yolk, yolk_(egg) | the yellow spherical part of an egg
425 | c | eggbeater.n.02 | eggbeater | eggbeater, eggwhisk | a mixer for beating eggs or whipping cream
426 | c | eggplant.n.01 | eggplant | eggplant, aubergine | egg-shaped vegetable having a shiny skin typically dark purple
427 | r | electric_chair.n.01 | electric_chair | electric_chair | a chair-shaped instrument of execution by electrocution
428 | f | electric_refrigerator.n.01 | refrigerator | refrigerator | a refrigerator in which the coolant is pumped around by an electric motor
429 | f | elephant.n.01 | elephant | elephant | a common elephant
430 | r | elk.n.01 | elk | elk, moose | large northern deer with enormous flattened antlers in the male
431 | c | envelope.n.01 | envelope | envelope | a flat (usually rectangular) container for a letter, thin package, etc.
432 | c | eraser.n.01 | eraser | eraser | an implement used to erase something
433 | r | escargot.n.01 | escargot | escargot | edible snail usually served in the shell with a sauce of melted butter and garlic
434 | r | eyepatch.n.01 | eyepatch | eyepatch | a protective cloth covering for an injured eye
435 | r | falcon.n.01 | falcon | falcon | birds of prey having long pointed powerful wings adapted for swift flight
436 | f | fan.n.01 | fan | fan | a device for creating a current of air by movement of a surface or surfaces
437 | f | faucet.n.01 | faucet | faucet, spigot, tap | a regulator for controlling the flow of a liquid from a reservoir
438 | r | fedora.n.01 | fedora | fedora | a hat made of felt with a creased crown
439 | r | ferret.n.02 | ferret | ferret | domesticated albino variety of the European polecat bred for hunting rats and rabbits
440 | c | ferris_wheel.n.01 | Ferris_wheel | Ferris_wheel | a large wheel with suspended seats that remain upright as the wheel rotates
441 | r | ferry.n.01 | ferry | ferry, ferryboat | a boat that transports people or vehicles across a body of water and operates on a regular schedule
442 | r | fig.n.04 | fig_(fruit) | fig_(fruit) | fleshy sweet pear-shaped yellowish or purple fruit eaten fresh or preserved or dried
443 | c | fighter.n.02 | fighter_jet | fighter_jet, fighter_aircraft, attack_aircraft | a high-speed military or naval airplane designed to destroy enemy targets
444 | f | figurine.n.01 | figurine | figurine | a small carved or molded figure
445 | c | file.n.03 | file_cabinet | file_cabinet, filing_cabinet | office furniture consisting of a container for keeping papers in order
446 | r | file.n.04 | file_(tool) | file_(tool) | a steel hand tool with small sharp teeth on some or all of its surfaces; used for smoothing wood or metal
447 | f | fire_alarm.n.02 | fire_alarm | fire_alarm, smoke_alarm | an alarm that is tripped off by fire or smoke
448 | c | fire_engine.n.01 | fire_engine | fire_engine, fire_truck | large trucks that carry firefighters and equipment to the site of a fire
449 | c | fire_extinguisher.n.01 | fire_extinguisher | fire_extinguisher, extinguisher | a manually operated device for extinguishing small fires
450 | c | fire_hose.n.01 | fire_hose | fire_hose | a large hose that carries water from a fire hydrant to the site of the fire
451 | f | fireplace.n.01 | fireplace | fireplace | an open recess in a wall at the base of a chimney where a fire can be built
452 | f | fireplug.n.01 | fireplug | fireplug, fire_hydrant, hydrant | an upright hydrant for drawing water to use in fighting a fire
453 | c | fish.n.01 | fish | fish | any of various mostly cold-blooded aquatic vertebrates usually having scales and breathing through gills
454 | r | fish.n.02 | fish_(food) | fish_(food) | the flesh of fish used as food
455 | r | fishbowl.n.02 | fishbowl | fishbowl, goldfish_bowl | a transparent bowl in which small fish are kept
456 | r | fishing_boat.n.01 | fishing_boat | fishing_boat, fishing_vessel | a vessel for fishing
457 | c | fishing_rod.n.01 | fishing_rod | fishing_rod, fishing_pole | a rod that is used in fishing to extend the fishing line
458 | f | flag.n.01 | flag | flag | emblem usually consisting of a rectangular piece of cloth of distinctive design (do not include pole)
459 | f | flagpole.n.02 | flagpole | flagpole, flagstaff | a tall staff or pole on which a flag is raised
460 | c | flamingo.n.01 | flamingo | flamingo | large pink web-footed bird with down-bent bill
461 | c | flannel.n.01 | flannel | flannel | a soft light woolen fabric; used for clothing
462 | r | flash.n.10 | flash | flash, flashbulb | a lamp for providing momentary light to take a photograph
463 | c | flashlight.n.01 | flashlight | flashlight, torch | a small portable battery-powered electric lamp
464 | r | fleece.n.03 | fleece | fleece | a soft bulky fabric with deep pile; used chiefly for clothing
465 | f | flip-flop.n.02 | flip-flop_(sandal) | flip-flop_(sandal) | a backless sandal held to the foot by a thong between two toes
466 | c | flipper.n.01 | flipper_(footwear) | flipper_(footwear), fin_(footwear) | a shoe to aid a person in swimming
467 | f | flower_arrangement.n.01 | flower_arrangement | flower_arrangement, floral_arrangement | a decorative arrangement of flowers
468 | c | flute.n.02 | flute_glass | flute_glass, champagne_flute | a tall narrow wineglass
469 | r | foal.n.01 | foal | foal | a young horse
470 | c | folding_chair.n.01 | folding_chair | folding_chair | a chair that can be folded flat for storage
471 | c | food_processor.n.01 | food_processor | food_processor | a kitchen appliance for shredding, blending, chopping, or slicing food
472 | c | football.n.02 | football_(American) | football_(American) | the inflated oblong ball used in playing American football
473 | r | football_helmet.n.01 | football_helmet | football_helmet | a padded helmet with a face mask to protect the head of football players
474 | c | footstool.n.01 | footstool | footstool, footrest | a low seat or a stool to rest the feet of a seated person
475 | f | fork.n.01 | fork | fork | cutlery used for serving and eating food
476 | r | forklift.n.01 | forklift | forklift | an industrial vehicle with a power operated fork in front that can be inserted under loads to lift and move them
477 | r | freight_car.n.01 | freight_car | freight_car | a railway car that carries freight
478 | r | french_toast.n.01 | French_toast | French_toast | bread slice dipped in egg and milk and fried
479 | c | freshener.n.01 | freshener | freshener, air_freshener | anything that freshens
480 | f | frisbee.n.01 | frisbee | frisbee | a light, plastic disk propelled with a flip of the wrist for recreation or competition
481 | c | frog.n.01 | frog | frog, toad, toad_frog | a tailless stout-bodied amphibians with long hind limbs for leaping
482 | c | fruit_juice.n.01 | fruit_juice | fruit_juice | drink produced by squeezing or crushing fruit
483 | r | fruit_salad.n.01 | fruit_salad | fruit_salad | salad composed of fruits
484 | c | frying_pan.n.01 | frying_pan | frying_pan, frypan, skillet | a pan used for frying foods
485 | r | fudge.n.01 | fudge | fudge | soft creamy candy
486 | r | funnel.n.02 | funnel | funnel | a cone-shaped utensil used to channel a substance into a container with a small mouth
487 | c | futon.n.01 | futon | futon | a pad that is used for sleeping on the floor or on a raised frame
488 | r | gag.n.02 | gag | gag, muzzle | restraint put into a person's mouth to prevent speaking or shouting
489 | r | garbage.n.03 | garbage | garbage | a receptacle where waste can be discarded
490 | c | garbage_truck.n.01 | garbage_truck | garbage_truck | a truck for collecting domestic refuse
491 | c | garden_hose.n.01 | garden_hose | garden_hose | a hose used for watering a lawn or garden
492 | c | gargle.n.01 | gargle | gargle, mouthwash | a medicated solution used for gargling and rinsing the mouth
493 | r | gargoyle.n.02 | gargoyle | gargoyle | an ornament consisting of a grotesquely carved figure of a person or animal
494 | c | garlic.n.02 | garlic | garlic, ail | aromatic bulb used as seasoning
495 | r | gasmask.n.01 | gasmask | gasmask, respirator, gas_helmet | a protective face mask with a filter
496 | r | gazelle.n.01 | gazelle | gazelle | small swift graceful antelope of Africa and Asia having lustrous eyes
497 | c | gelatin.n.02 | gelatin | gelatin, jelly | an edible jelly made with gelatin and used as a dessert or salad base or a coating for foods
498 | r | gem.n.02 | gemstone | gemstone | a crystalline rock that can be cut and polished for jewelry
499 | c | giant_panda.n.01 | giant_panda | giant_panda, panda, panda_bear | large black-and-white herbivorous mammal of bamboo forests of China and Tibet
500 | c | gift_wrap.n.01 | gift_wrap | gift_wrap | attractive wrapping paper suitable for wrapping gifts
501 | c | ginger.n.03 | ginger | ginger, gingerroot | the root of the common ginger plant; used fresh as a seasoning
502 | f | giraffe.n.01 | giraffe | giraffe | tall animal having a spotted coat and small horns and very long neck and legs
503 | c | girdle.n.02 | cincture | cincture, sash, waistband, waistcloth | a band of material around the waist that strengthens a skirt or trousers
504 | f | glass.n.02 | glass_(drink_container) | glass_(drink_container), drinking_glass | a container for holding liquids while drinking
505 | c | globe.n.03 | globe | globe | a sphere on which a map (especially of the earth) is represented
506 | f | glove.n.02 | glove | glove | handwear covering the hand
507 | c | goat.n.01 | goat | goat | a common goat
508 | f | goggles.n.01 | goggles | goggles | tight-fitting spectacles worn to protect the eyes
509 | r | goldfish.n.01 | goldfish | goldfish | small golden or orange-red freshwater fishes used as pond or aquarium pets
510 | r | golf_club.n.02 | golf_club | golf_club, golf-club | golf equipment used by a golfer to hit a golf ball
511 | c | golfcart.n.01 | golfcart | golfcart | a small motor vehicle in which golfers can ride between shots
512 | r | gondola.n.02 | gondola_(boat) | gondola_(boat) | long narrow flat-bottomed boat propelled by sculling; traditionally used on canals of Venice
513 | c | goose.n.01 | goose | goose | loud, web-footed long-necked aquatic birds usually larger than ducks
514 | r | gorilla.n.01 | gorilla | gorilla | largest ape
515 | r | gourd.n.02 | gourd | gourd | any of numerous inedible fruits with hard rinds
516 | r | gown.n.04 | surgical_gown | surgical_gown, scrubs_(surgical_clothing) | protective garment worn by surgeons during operations
517 | f | grape.n.01 | grape | grape | any of various juicy fruit with green or purple skins; grow in clusters
518 | r | grasshopper.n.01 | grasshopper | grasshopper | plant-eating insect with hind legs adapted for leaping
519 | c | grater.n.01 | grater | grater | utensil with sharp perforations for shredding foods (as vegetables or cheese)
520 | c | gravestone.n.01 | gravestone | gravestone, headstone, tombstone | a stone that is used to mark a grave
521 | r | gravy_boat.n.01 | gravy_boat | gravy_boat, gravy_holder | a dish (often boat-shaped) for serving gravy or sauce
522 | c | green_bean.n.02 | green_bean | green_bean | a common bean plant cultivated for its slender green edible pods
523 | c | green_onion.n.01 | green_onion | green_onion, spring_onion, scallion | a young onion before the bulb has enlarged
524 | r | griddle.n.01 | griddle | griddle | cooking utensil consisting of a flat heated surface on which food is cooked
525 | r | grillroom.n.01 | grillroom | grillroom, grill_(restaurant) | a restaurant where food is cooked on a grill
526 | r | grinder.n.04 | grinder_(tool) | grinder_(tool) | a machine tool that polishes metal
527 | r | grits.n.01 | grits | grits, hominy_grits | coarsely ground corn boiled as a breakfast dish
528 | c | grizzly.n.01 | grizzly | grizzly, grizzly_bear | powerful brownish-yellow bear of the uplands of western North America
529 | c | grocery_bag.n.01 | grocery_bag | grocery_bag | a sack for holding customer's groceries
530 | r | guacamole.n.01 | guacamole | guacamole | a dip made of mashed avocado mixed with chopped onions and other seasonings
531 | f | guitar.n.01 | guitar | guitar | a stringed instrument usually having six strings; played by strumming or plucking
532 | c | gull.n.02 | gull | gull, seagull | mostly white aquatic bird having long pointed wings and short legs
533 | c | gun.n.01 | gun | gun | a weapon that discharges a bullet at high velocity from a metal tube
534 | r | hair_spray.n.01 | hair_spray | hair_spray | substance sprayed on the hair to hold it in place
535 | c | hairbrush.n.01 | hairbrush | hairbrush | a brush used to groom a person's hair
536 | c | hairnet.n.01 | hairnet | hairnet | a small net that someone wears over their hair to keep it in place
537 | c | hairpin.n.01 | hairpin | hairpin | a double pronged pin used to hold women's hair in place
538 | f | ham.n.01 | ham | ham, jambon, gammon | meat cut from the thigh of a hog (usually smoked)
539 | c | hamburger.n.01 | hamburger | hamburger, beefburger, burger | a sandwich consisting of a patty of minced beef served on a bun
540 | c | hammer.n.02 | hammer | hammer | a hand tool with a heavy head and a handle; used to deliver an impulsive force by striking
541 | r | hammock.n.02 | hammock | hammock | a hanging bed of canvas or rope netting (usually suspended between two trees)
542 | r | hamper.n.02 | hamper | hamper | a basket usually with a cover
543 | r | hamster.n.01 | hamster | hamster | short-tailed burrowing rodent with large cheek pouches
544 | c | hand_blower.n.01 | hair_dryer | hair_dryer | a hand-held electric blower that can blow warm air onto the hair
545 | r | hand_glass.n.01 | hand_glass | hand_glass, hand_mirror | a mirror intended to be held in the hand
546 | f | hand_towel.n.01 | hand_towel | hand_towel, face_towel | a small towel used to dry the hands or face
547 | c | handcart.n.01 | handcart | handcart, pushcart, hand_truck | wheeled vehicle that can be pushed by a person
548 | r | handcuff.n.01 | handcuff | handcuff | shackle that consists of a metal loop that can be locked around the wrist
549 | c | handkerchief.n.01 | handkerchief | handkerchief | a square piece of cloth used for wiping the eyes or nose or as a costume accessory
550 | f | handle.n.01 | handle | handle, grip, handgrip | the appendage to an object that is designed to be held in order to use or move it
551 | r | handsaw.n.01 | handsaw | handsaw, carpenter's_saw | a saw used with one hand for cutting wood
552 | r | hardback.n.01 | hardback_book | hardback_book, hardcover_book | a book with cardboard or cloth or leather covers
553 | r | harmonium.n.01 | harmonium | harmonium, organ_(musical_instrument), reed_organ_(musical_instrument) | a free-reed instrument in which air is forced through the reeds by bellows
554 | f | hat.n.01 | hat | hat | headwear that protects the head from bad weather, sun, or worn for fashion
555 | r | hatbox.n.01 | hatbox | hatbox | a round piece of luggage for carrying hats
556 | r | hatch.n.03 | hatch | hatch | a movable barrier covering a hatchway
557 | c | head_covering.n.01 | veil | veil | a garment that covers the head and face
558 | f | headband.n.01 | headband | headband | a band worn around or over the head
559 | f | headboard.n.01 | headboard | headboard | a vertical board or panel forming the head of a bedstead
560 | f | headlight.n.01 | headlight | headlight, headlamp | a powerful light with reflector; attached to the front of an automobile or locomotive
561 | c | headscarf.n.01 | headscarf | headscarf | a kerchief worn over the head and tied under the chin
562 | r | headset.n.01 | headset | headset | receiver consisting of a pair of headphones
563 | c | headstall.n.01 | headstall_(for_horses) | headstall_(for_horses), headpiece_(for_horses) | the band that is the part of a bridle that fits around a horse's head
564 | r | hearing_aid.n.02 | hearing_aid | hearing_aid | an acoustic device used to direct sound to the ear of a hearing-impaired person
565 | c | heart.n.02 | heart | heart | a muscular organ; its contractions move the blood through the body
566 | c | heater.n.01 | heater | heater, warmer | device that heats water or supplies warmth to a room
567 | c | helicopter.n.01 | helicopter | helicopter | an aircraft without wings that obtains its lift from the rotation of overhead blades
568 | f | helmet.n.02 | helmet | helmet | a protective headgear made of hard material to resist blows
569 | r | heron.n.02 | heron | heron | grey or white wading bird with long neck and long legs and (usually) long bill
570 | c | highchair.n.01 | highchair | highchair, feeding_chair | a chair for feeding a very young child
571 | f | hinge.n.01 | hinge | hinge | a joint that holds two parts together so that one can swing relative to the other
572 | r | hippopotamus.n.01 | hippopotamus | hippopotamus | massive thick-skinned animal living in or around rivers of tropical Africa
573 | r | hockey_stick.n.01 | hockey_stick | hockey_stick | sports implement consisting of a stick used by hockey players to move the puck
574 | c | hog.n.03 | hog | hog, pig | domestic swine
575 | f | home_plate.n.01 | home_plate_(baseball) | home_plate_(baseball), home_base_(baseball) | (baseball) a rubber slab where the batter stands; it must be touched by a base runner in order to score
576 | c | honey.n.01 | honey | honey | a sweet yellow liquid produced by bees
577 | f | hood.n.06 | fume_hood | fume_hood, exhaust_hood | metal covering leading to a vent that exhausts smoke or fumes
578 | f | hook.n.05 | hook | hook | a curved or bent implement for suspending or pulling something
579 | f | horse.n.01 | horse | horse | a common horse
580 | f | hose.n.03 | hose | hose, hosepipe | a flexible pipe for conveying a liquid or gas
581 | r | hot-air_balloon.n.01 | hot-air_balloon | hot-air_balloon | balloon for travel through the air in a basket suspended below a large bag of heated air
582 | r | hot_plate.n.01 | hotplate | hotplate | a portable electric appliance for heating or cooking or keeping food warm
583 | c | hot_sauce.n.01 | hot_sauce | hot_sauce | a pungent peppery sauce
584 | r | hourglass.n.01 | hourglass | hourglass | a sandglass timer that runs for sixty minutes
585 | r | houseboat.n.01 | houseboat | houseboat | a barge that is designed and equipped for use as a dwelling
586 | r | hummingbird.n.01 | hummingbird | hummingbird | tiny American bird having brilliant iridescent plumage and long slender bills
587 | r | hummus.n.01 | hummus | hummus, humus, hommos, hoummos, humous | a thick spread made from mashed chickpeas
588 | c | ice_bear.n.01 | polar_bear | polar_bear | white bear of Arctic regions
589 | c | ice_cream.n.01 | icecream | icecream | frozen dessert containing cream and sugar and flavoring
590 | r | ice_lolly.n.01 | popsicle | popsicle | ice cream or water ice on a small wooden stick
591 | c | ice_maker.n.01 | ice_maker | ice_maker | an appliance included in some electric refrigerators for making ice cubes
592 | r | ice_pack.n.01 | ice_pack | ice_pack, ice_bag | a waterproof bag filled with ice: applied to the body (especially the head) to cool or reduce swelling
593 | r | ice_skate.n.01 | ice_skate | ice_skate | skate consisting of a boot with a steel blade fitted to the sole
594 | r | ice_tea.n.01 | ice_tea | ice_tea, iced_tea | strong tea served over ice
595 | c | igniter.n.01 | igniter | igniter, ignitor, lighter | a substance or device used to start a fire
596 | r | incense.n.01 | incense | incense | a substance that produces a fragrant odor when burned
597 | r | inhaler.n.01 | inhaler | inhaler, inhalator | a dispenser that produces a chemical vapor to be inhaled through mouth or nose
598 | c | ipod.n.01 | iPod | iPod | a pocket-sized device used to play music files
599 | c | iron.n.04 | iron_(for_clothing) | iron_(for_clothing), smoothing_iron_(for_clothing) | home appliance consisting of a flat metal base that is heated and used to smooth cloth
600 | r | ironing_board.n.01 | ironing_board | ironing_board | narrow padded board on collapsible supports; used for ironing clothes
601 | f | jacket.n.01 | jacket | jacket | a waist-length coat
602 | r | jam.n.01 | jam | jam | preserve of crushed fruit
603 | f | jean.n.01 | jean | jean, blue_jean, denim | (usually plural) close-fitting trousers of heavy denim for manual work or casual wear
604 | c | jeep.n.01 | jeep | jeep, landrover | a car suitable for traveling over rough terrain
605 | r | jelly_bean.n.01 | jelly_bean | jelly_bean, jelly_egg | sugar-glazed jellied candy
606 | f | jersey.n.03 | jersey | jersey, T-shirt, tee_shirt | a close-fitting pullover shirt
607 | c | jet.n.01 | jet_plane | jet_plane, jet-propelled_plane | an airplane powered by one or more jet engines
608 | c | jewelry.n.01 | jewelry | jewelry, jewellery | an adornment (as a bracelet or ring or necklace) made of precious metals and set with gems (or imitation gems)
609 | r | joystick.n.02 | joystick | joystick | a control device for computers consisting of a vertical handle that can move freely in two directions
610 | r | jump_suit.n.01 | jumpsuit | jumpsuit | one-piece garment fashioned after a parachutist's uniform
611 | c | kayak.n.01 | kayak | kayak | a small canoe consisting of a light frame made watertight with animal skins
612 | r | keg.n.02 | keg | keg | small cask or barrel
613 | r | kennel.n.01 | kennel | kennel, doghouse | outbuilding that serves as a shelter for a dog
614 | c | kettle.n.01 | kettle | kettle, boiler | a metal pot for stewing or boiling; usually has a lid
615 | f | key.n.01 | key | key | metal instrument used to unlock a lock
616 | r | keycard.n.01 | keycard | keycard | a plastic card used to gain access typically to a door
617 | r | kilt.n.01 | kilt | kilt | a knee-length pleated tartan skirt worn by men as part of the traditional dress in the Highlands of northern Scotland
618 | c | kimono.n.01 | kimono | kimono | a loose robe; imitated from robes originally worn by Japanese
619 | f | kitchen_sink.n.01 | kitchen_sink | kitchen_sink | a sink in a kitchen
620 | c | kitchen_table.n.01 | kitchen_table | kitchen_table | a table in the kitchen
621 | f | kite.n.03 | kite | kite | plaything consisting of a light frame covered with tissue paper; flown in wind at end of a string
622 | c | kitten.n.01 | kitten | kitten, kitty | young domestic cat
623 | c | kiwi.n.03 | kiwi_fruit | kiwi_fruit | fuzzy brown egg-shaped fruit with slightly tart green flesh
624 | f | knee_pad.n.01 | knee_pad | knee_pad | protective garment consisting of a pad worn by football or baseball or hockey players
625 | f | knife.n.01 | knife | knife | tool with a blade and point used as a cutting instrument
626 | r | knight.n.02 | knight_(chess_piece) | knight_(chess_piece), horse_(chess_piece) | a chess game piece shaped to resemble the head of a horse
627 | r | knitting_needle.n.01 | knitting_needle | knitting_needle | needle consisting of a slender rod with pointed ends; usually used in pairs
628 | f | knob.n.02 | knob | knob | a round handle often found on a door
629 | r | knocker.n.05 | knocker_(on_a_door) | knocker_(on_a_door), doorknocker | a device (usually metal and ornamental) attached by a hinge to a door
630 | r | koala.n.01 | koala | koala, koala_bear | sluggish tailless Australian marsupial with grey furry ears and coat
631 | r | lab_coat.n.01 | lab_coat | lab_coat, laboratory_coat | a light coat worn to protect clothing from substances used while working in a laboratory
632 | f | ladder.n.01 | ladder | ladder | steps consisting of two parallel members connected by rungs
633 | c | ladle.n.01 | ladle | ladle | a spoon-shaped vessel with a long handle frequently used to transfer liquids
634 | r | ladybug.n.01 | ladybug | ladybug, ladybeetle, ladybird_beetle | small round bright-colored and spotted beetle, typically red and black
635 | c | lamb.n.01 | lamb_(animal) | lamb_(animal) | young sheep
636 | r | lamb_chop.n.01 | lamb-chop | lamb-chop, lambchop | chop cut from a lamb
637 | f | lamp.n.02 | lamp | lamp | a piece of furniture holding one or more electric light bulbs
638 | f | lamppost.n.01 | lamppost | lamppost | a metal post supporting an outdoor lamp (such as a streetlight)
639 | f | lampshade.n.01 | lampshade | lampshade | a protective ornamental shade used to screen a light bulb from direct view
640 | c | lantern.n.01 | lantern | lantern | light in a transparent protective case
641 | f | lanyard.n.02 | lanyard | lanyard, laniard | a cord worn around the neck to hold a knife or whistle, etc.
642 | f | laptop.n.01 | laptop_computer | laptop_computer, notebook_computer | a portable computer small enough to use in your lap
643 | r | lasagna.n.01 | lasagna | lasagna, lasagne | baked dish of layers of lasagna pasta with sauce and cheese and meat or vegetables
644 | c | latch.n.02 | latch | latch | a bar that can be lowered or slid into a groove to fasten a door or gate
645 | r | lawn_mower.n.01 | lawn_mower | lawn_mower | garden tool for mowing grass on lawns
646 | r | leather.n.01 | leather | leather | an animal skin made smooth and flexible by removing the hair and then tanning
647 | c | legging.n.01 | legging_(clothing) | legging_(clothing), leging_(clothing), leg_covering | a garment covering the leg (usually extending from the knee to the ankle)
648 | c | lego.n.01 | Lego | Lego, Lego_set | a child's plastic construction set for making models from blocks
649 | f | lemon.n.01 | lemon | lemon | yellow oval fruit with juicy acidic flesh
650 | r | lemonade.n.01 | lemonade | lemonade | sweetened beverage of diluted lemon juice
651 | f | lettuce.n.02 | lettuce | lettuce | leafy plant commonly eaten in salad or on sandwiches
652 | f | license_plate.n.01 | license_plate | license_plate, numberplate | a plate mounted on the front and back of car and bearing the car's registration number
653 | f | life_buoy.n.01 | life_buoy | life_buoy, lifesaver, life_belt, life_ring | a ring-shaped life preserver used to prevent drowning (NOT a life-jacket or vest)
654 | f | life_jacket.n.01 | life_jacket | life_jacket, life_vest | life preserver consisting of a sleeveless jacket of buoyant or inflatable design
655 | f | light_bulb.n.01 | lightbulb | lightbulb | glass bulb or tube shaped electric device that emits light (DO NOT MARK LAMPS AS A WHOLE)
656 | r | lightning_rod.n.02 | lightning_rod | lightning_rod, lightning_conductor | a metallic conductor that is attached to a high point and leads to the ground
657 | c | lime.n.06 | lime | lime | the green acidic fruit of any of various lime trees
658 | r | limousine.n.01 | limousine | limousine | long luxurious car; usually driven by a chauffeur
659 | r | linen.n.02 | linen_paper | linen_paper | a high-quality paper made of linen fibers or with a linen finish
660 | c | lion.n.01 | lion | lion | large gregarious predatory cat of Africa and India
661 | c | lip_balm.n.01 | lip_balm | lip_balm | a balm applied to the lips
662 | c | lipstick.n.01 | lipstick | lipstick, lip_rouge | makeup that is used to color the lips
663 | r | liquor.n.01 | liquor | liquor, spirits, hard_liquor, liqueur, cordial | an alcoholic beverage that is distilled rather than fermented
664 | r | lizard.n.01 | lizard | lizard | a reptile with usually two pairs of legs and a tapering tail
665 | r | loafer.n.02 | Loafer_(type_of_shoe) | Loafer_(type_of_shoe) | a low leather step-in shoe
666 | f | log.n.01 | log | log | a segment of the trunk of a tree when stripped of branches
667 | c | lollipop.n.02 | lollipop | lollipop | hard candy on a stick
668 | c | lotion.n.01 | lotion | lotion | any of various cosmetic preparations that are applied to the skin
669 | f | loudspeaker.n.01 | speaker_(stero_equipment) | speaker_(stero_equipment) | electronic device that produces sound often as part of a stereo system
670 | c | love_seat.n.01 | loveseat | loveseat | small sofa that seats two people
671 | r | machine_gun.n.01 | machine_gun | machine_gun | a rapidly firing automatic gun
672 | f | magazine.n.02 | magazine | magazine | a paperback periodic publication
673 | f | magnet.n.01 | magnet | magnet | a device that attracts iron and produces a magnetic field
674 | r | mail_slot.n.01 | mail_slot | mail_slot | a slot (usually in a door) through which mail can be delivered
675 | c | mailbox.n.01 | mailbox_(at_home) | mailbox_(at_home), letter_box_(at_home) | a private box for delivery of mail
676 | r | mallet.n.01 | mallet | mallet | a sports implement with a long handle and a hammer-like head used to hit a ball
677 | r | mammoth.n.01 | mammoth | mammoth | any of numerous extinct elephants widely distributed in the Pleistocene
678 | c | mandarin.n.05 | mandarin_orange | mandarin_orange | a somewhat flat reddish-orange loose skinned citrus of China
679 | c | manger.n.01 | manger | manger, trough | a container (usually in a barn or stable) from which cattle or horses feed
680 | f | manhole.n.01 | manhole | manhole | a hole (usually with a flush cover) through which a person can gain access to an underground structure
681 | c | map.n.01 | map | map | a diagrammatic representation of the earth's surface (or part of it)
682 | c | marker.n.03 | marker | marker | a writing implement for making a mark
683 | r | martini.n.01 | martini | martini | a cocktail made of gin (or vodka) with dry vermouth
684 | r | mascot.n.01 | mascot | mascot | a person or animal that is adopted by a team or other group as a symbolic figure
685 | c | mashed_potato.n.01 | mashed_potato | mashed_potato | potato that has been peeled and boiled and then mashed
686 | r | masher.n.02 | masher | masher | a kitchen utensil used for mashing (e.g. potatoes)
687 | f | mask.n.04 | mask | mask, facemask | a protective covering worn over the face
688 | f | mast.n.01 | mast | mast | a vertical spar for supporting sails
689 | c | mat.n.03 | mat_(gym_equipment) | mat_(gym_equipment), gym_mat | sports equipment consisting of a piece of thick padding on the floor for gymnastics
690 | r | matchbox.n.01 | matchbox | matchbox | a box for holding matches
691 | f | mattress.n.01 | mattress | mattress | a thick pad filled with resilient material used as a bed or part of a bed
692 | c | measuring_cup.n.01 | measuring_cup | measuring_cup | graduated cup used to measure liquid or granular ingredients
693 | c | measuring_stick.n.01 | measuring_stick | measuring_stick, ruler_(measuring_stick), measuring_rod | measuring instrument having a sequence of marks at regular intervals
694 | c | meatball.n.01 | meatball | meatball | ground meat formed into a ball and fried or simmered in broth
695 | c | medicine.n.02 | medicine | medicine | something that treats or prevents or alleviates the symptoms of disease
696 | r | melon.n.01 | melon | melon | fruit of the gourd family having a hard rind and sweet juicy flesh
697 | f | microphone.n.01 | microphone | microphone | device for converting sound waves into electrical energy
698 | r | microscope.n.01 | microscope | microscope | magnifier of the image of small objects
699 | f | microwave.n.02 | microwave_oven | microwave_oven | kitchen appliance that cooks food by passing an electromagnetic wave through it
700 | r | milestone.n.01 | milestone | milestone, milepost | stone post at side of a road to show distances
701 | c | milk.n.01 | milk | milk | a white nutritious liquid secreted by mammals and used as food by human beings
702 | f | minivan.n.01 | minivan | minivan | a small box-shaped passenger van
703 | r | mint.n.05 | mint_candy | mint_candy | a candy that is flavored with a mint oil
704 | f | mirror.n.01 | mirror | mirror | polished surface that forms images by reflecting light
705 | c | mitten.n.01 | mitten | mitten | glove that encases the thumb separately and the other four fingers together
706 | c | mixer.n.04 | mixer_(kitchen_tool) | mixer_(kitchen_tool), stand_mixer | a kitchen utensil that is used for mixing foods
707 | c | money.n.03 | money | money | the official currency issued by a government or national bank
708 | f | monitor.n.04 | monitor_(computer_equipment) computer_monitor | monitor_(computer_equipment) computer_monitor | a computer monitor
709 | c | monkey.n.01 | monkey | monkey | any of various long-tailed primates
710 | f | motor.n.01 | motor | motor | machine that converts other forms of energy into mechanical energy and so imparts motion
711 | f | motor_scooter.n.01 | motor_scooter | motor_scooter, scooter | a wheeled vehicle with small wheels and a low-powered engine
712 | r | motor_vehicle.n.01 | motor_vehicle | motor_vehicle, automotive_vehicle | a self-propelled wheeled vehicle that does not run on rails
713 | r | motorboat.n.01 | motorboat | motorboat, powerboat | a boat propelled by an internal-combustion engine
714 | f | motorcycle.n.01 | motorcycle | motorcycle | a motor vehicle with two wheels and a strong frame
715 | f | mound.n.01 | mound_(baseball) | mound_(baseball), pitcher's_mound | (baseball) the slight elevation on which the pitcher stands
716 | r | mouse.n.01 | mouse_(animal_rodent) | mouse_(animal_rodent) | a small rodent with pointed snouts and small ears on elongated bodies with slender usually hairless tails
717 | f | mouse.n.04 | mouse_(computer_equipment) | mouse_(computer_equipment), computer_mouse | a computer input device that controls an on-screen pointer
718 | f | mousepad.n.01 | mousepad | mousepad | a small portable pad that provides an operating surface for a computer mouse
719 | c | muffin.n.01 | muffin | muffin | a sweet quick bread baked in a cup-shaped pan
720 | f | mug.n.04 | mug | mug | with handle and usually cylindrical
721 | f | mushroom.n.02 | mushroom | mushroom | a common mushroom
722 | r | music_stool.n.01 | music_stool | music_stool, piano_stool | a stool for piano players; usually adjustable in height
723 | r | musical_instrument.n.01 | musical_instrument | musical_instrument, instrument_(musical) | any of various devices or contrivances that can be used to produce musical tones or sounds
724 | r | nailfile.n.01 | nailfile | nailfile | a small flat file for shaping the nails
725 | r | nameplate.n.01 | nameplate | nameplate | a plate bearing a name
726 | f | napkin.n.01 | napkin | napkin, table_napkin, serviette | a small piece of table linen or paper that is used to wipe the mouth and to cover the lap in order to protect clothing
727 | r | neckerchief.n.01 | neckerchief | neckerchief | a kerchief worn around the neck
728 | f | necklace.n.01 | necklace | necklace | jewelry consisting of a cord or chain (often bearing gems) worn about the neck as an ornament
729 | f | necktie.n.01 | necktie | necktie, tie_(necktie) | neckwear consisting of a long narrow piece of material worn under a collar and tied in knot at the front
730 | r | needle.n.03 | needle | needle | a sharp pointed implement (usually metal)
731 | c | nest.n.01 | nest | nest | a structure in which animals lay eggs or give birth to their young
732 | r | newsstand.n.01 | newsstand | newsstand | a stall where newspapers and other periodicals are sold
733 | c | nightwear.n.01 | nightshirt | nightshirt, nightwear, sleepwear, nightclothes | garments designed to be worn in bed
734 | r | nosebag.n.01 | nosebag_(for_animals) | nosebag_(for_animals), feedbag | a canvas bag that is used to feed an animal (such as a horse); covers the muzzle and fastens at the top of the head
735 | r | noseband.n.01 | noseband_(for_animals) | noseband_(for_animals), nosepiece_(for_animals) | a strap that is the part of a bridle that goes over the animal's nose
736 | f | notebook.n.01 | notebook | notebook | a book with blank pages for recording notes or memoranda
737 | c | notepad.n.01 | notepad | notepad | a pad of paper for keeping notes
738 | c | nut.n.03 | nut | nut | a small metal block (usually square or hexagonal) with internal screw thread to be fitted onto a bolt
739 | r | nutcracker.n.01 | nutcracker | nutcracker | a hand tool used to crack nuts open
740 | c | oar.n.01 | oar | oar | an implement used to propel or steer a boat
741 | r | octopus.n.01 | octopus_(food) | octopus_(food) | tentacles of octopus prepared as food
742 | r | octopus.n.02 | octopus_(animal) | octopus_(animal) | bottom-living cephalopod having a soft oval body with eight long tentacles
743 | c | oil_lamp.n.01 | oil_lamp | oil_lamp, kerosene_lamp, kerosine_lamp | a lamp that burns oil (as kerosine) for light
744 | c | olive_oil.n.01 | olive_oil | olive_oil | oil from olives
745 | r | omelet.n.01 | omelet | omelet, omelette | beaten eggs cooked until just set; may be folded around e.g. ham or cheese or jelly
746 | f | onion.n.01 | onion | onion | the bulb of an onion plant
747 | f | orange.n.01 | orange_(fruit) | orange_(fruit) | orange (FRUIT of an orange tree)
748 | c | orange_juice.n.01 | orange_juice | orange_juice | bottled or freshly squeezed juice of oranges
749 | r | oregano.n.01 | oregano | oregano, marjoram | aromatic Eurasian perennial herb used in cooking and baking
750 | c | ostrich.n.02 | ostrich | ostrich | fast-running African flightless bird with two-toed feet; largest living bird
751 | c | ottoman.n.03 | ottoman | ottoman, pouf, pouffe, hassock | thick cushion used as a seat
752 | c | overall.n.01 | overalls_(clothing) | overalls_(clothing) | work clothing consisting of denim trousers usually with a bib and shoulder straps
753 | c | owl.n.01 | owl | owl | nocturnal bird of prey with hawk-like beak and claws and large head with front-facing eyes
754 | c | packet.n.03 | packet | packet | a small package or bundle
755 | r | pad.n.03 | inkpad | inkpad, inking_pad, stamp_pad | absorbent material saturated with ink used to transfer ink evenly to a rubber stamp
756 | c | pad.n.04 | pad | pad | a flat mass of soft material used for protection, stuffing, or comfort
757 | c | paddle.n.04 | paddle | paddle, boat_paddle | a short light oar used without an oarlock to propel a canoe or small boat
758 | c | padlock.n.01 | padlock | padlock | a detachable, portable lock
759 | r | paintbox.n.01 | paintbox | paintbox | a box containing a collection of cubes or tubes of artists' paint
760 | c | paintbrush.n.01 | paintbrush | paintbrush | a brush used as an applicator to apply paint
761 | f | painting.n.01 | painting | painting | graphic art consisting of an artistic composition made by applying paints to a surface
762 | c | pajama.n.02 | pajamas | pajamas, pyjamas | loose-fitting nightclothes worn for sleeping or lounging
763 | c | palette.n.02 | palette | palette, pallet | board that provides a flat surface on which artists mix paints and the range of colors used
764 | f | pan.n.01 | pan_(for_cooking) | pan_(for_cooking), cooking_pan | cooking utensil consisting of a wide metal vessel
765 | r | pan.n.03 | pan_(metal_container) | pan_(metal_container) | shallow container made of metal
766 | c | pancake.n.01 | pancake | pancake | a flat cake of thin batter fried on both sides on a griddle
767 | r | pantyhose.n.01 | pantyhose | pantyhose | a woman's tights consisting of underpants and stockings
768 | r | papaya.n.02 | papaya | papaya | large oval melon-like tropical fruit with yellowish flesh
769 | r | paper_clip.n.01 | paperclip | paperclip | a wire or plastic clip for holding sheets of paper together
770 | f | paper_plate.n.01 | paper_plate | paper_plate | a disposable plate made of cardboard
771 | f | paper_towel.n.01 | paper_towel | paper_towel | a disposable towel made of absorbent paper
772 | r | paperback_book.n.01 | paperback_book | paperback_book, paper-back_book, softback_book, soft-cover_book | a book with paper covers
773 | r | paperweight.n.01 | paperweight | paperweight | a weight used to hold down a stack of papers
774 | c | parachute.n.01 | parachute | parachute | rescue equipment consisting of a device that fills with air and retards your fall
775 | r | parakeet.n.01 | parakeet | parakeet, parrakeet, parroket, paraquet, paroquet, parroquet | any of numerous small slender long-tailed parrots
776 | c | parasail.n.01 | parasail_(sports) | parasail_(sports) | parachute that will lift a person up into the air when it is towed by a motorboat or a car
777 | r | parchment.n.01 | parchment | parchment | a superior paper resembling sheepskin
778 | r | parka.n.01 | parka | parka, anorak | a kind of heavy jacket (`windcheater' is a British term)
779 | f | parking_meter.n.01 | parking_meter | parking_meter | a coin-operated timer located next to a parking space
780 | c | parrot.n.01 | parrot | parrot | usually brightly colored tropical birds with short hooked beaks and the ability to mimic sounds
781 | c | passenger_car.n.01 | passenger_car_(part_of_a_train) | passenger_car_(part_of_a_train), coach_(part_of_a_train) | a railcar where passengers ride
782 | r | passenger_ship.n.01 | passenger_ship | passenger_ship | a ship built to carry passengers
783 | r | passport.n.02 | passport | passport | a document issued by a country to a citizen allowing that person to travel abroad and re-enter the home country
784 | f | pastry.n.02 | pastry | pastry | any of various baked foods made of dough or batter
785 | r | patty.n.01 | patty_(food) | patty_(food) | small flat mass of chopped food
786 | c | pea.n.01 | pea_(food) | pea_(food) | seed of a pea plant used for food
787 | c | peach.n.03 | peach | peach | downy juicy fruit with sweet yellowish or whitish flesh
788 | c | peanut_butter.n.01 | peanut_butter | peanut_butter | a spread made from ground peanuts
789 | c | pear.n.01 | pear | pear | sweet juicy gritty-textured fruit available in many varieties
790 | r | peeler.n.03 | peeler_(tool_for_fruit_and_vegetables) | peeler_(tool_for_fruit_and_vegetables) | a device for peeling vegetables or fruits
791 | r | pegboard.n.01 | pegboard | pegboard | a board perforated with regularly spaced holes into which pegs can be fitted
792 | c | pelican.n.01 | pelican | pelican | large long-winged warm-water seabird having a large bill with a distensible pouch for fish
793 | f | pen.n.01 | pen | pen | a writing implement with a point from which ink flows
794 | c | pencil.n.01 | pencil | pencil | a thin cylindrical pointed writing implement made of wood and graphite
795 | r | pencil_box.n.01 | pencil_box | pencil_box, pencil_case | a box for holding pencils
796 | r | pencil_sharpener.n.01 | pencil_sharpener | pencil_sharpener | a rotary implement for sharpening the point on pencils
797 | r | pendulum.n.01 | pendulum | pendulum | an apparatus consisting of an object mounted so that it swings freely under the influence of gravity
798 | c | penguin.n.01 | penguin | penguin | short-legged flightless birds of cold southern regions having webbed feet and wings modified as flippers
799 | r | pennant.n.02 | pennant | pennant | a flag longer than it is wide (and often tapering)
800 | r | penny.n.02 | penny_(coin) | penny_(coin) | a coin worth one-hundredth of the value of the basic unit
801 | c | pepper.n.03 | pepper | pepper, peppercorn | pungent seasoning from the berry of the common pepper plant; whole or ground
802 | c | pepper_mill.n.01 | pepper_mill | pepper_mill, pepper_grinder | a mill for grinding pepper
803 | c | perfume.n.02 | perfume | perfume | a toiletry that emits and diffuses a fragrant odor
804 | r | persimmon.n.02 | persimmon | persimmon | orange fruit resembling a plum; edible when fully ripe
805 | f | person.n.01 | baby | baby, child, boy, girl, man, woman, person, human | a human being
806 | r | pet.n.01 | pet | pet | a domesticated animal kept for companionship or amusement
807 | r | petfood.n.01 | petfood | petfood, pet-food | food prepared for animal pets
808 | r | pew.n.01 | pew_(church_bench) | pew_(church_bench), church_bench | long bench with backs; used in church by the congregation
809 | r | phonebook.n.01 | phonebook | phonebook, telephone_book, telephone_directory | a directory containing an alphabetical list of telephone subscribers and their telephone numbers
810 | c | phonograph_record.n.01 | phonograph_record | phonograph_record, phonograph_recording, record_(phonograph_recording) | sound recording consisting of a typically black disk with a continuous groove
811 | c | piano.n.01 | piano | piano | a keyboard instrument that is played by depressing keys that cause hammers to strike tuned strings and produce sounds
812 | f | pickle.n.01 | pickle | pickle | vegetables (especially cucumbers) preserved in brine or vinegar
813 | f | pickup.n.01 | pickup_truck | pickup_truck | a light truck with an open body and low sides and a tailboard
814 | c | pie.n.01 | pie | pie | dish baked in pastry-lined pan often with a pastry top
815 | c | pigeon.n.01 | pigeon | pigeon | wild and domesticated birds having a heavy body and short legs
816 | r | piggy_bank.n.01 | piggy_bank | piggy_bank, penny_bank | a child's coin bank (often shaped like a pig)
817 | f | pillow.n.01 | pillow | pillow | a cushion to support the head of a sleeping person
818 | r | pin.n.09 | pin_(non_jewelry) | pin_(non_jewelry) | a small slender (often pointed) piece of wood or metal used to support or fasten or attach things
819 | f | pineapple.n.02 | pineapple | pineapple | large sweet fleshy tropical fruit with a tuft of stiff leaves
820 | c | pinecone.n.01 | pinecone | pinecone | the seed-producing cone of a pine tree
821 | r | ping-pong_ball.n.01 | ping-pong_ball | ping-pong_ball | light hollow ball used in playing table tennis
822 | r | pinwheel.n.03 | pinwheel | pinwheel | a toy consisting of vanes of colored paper or plastic that is pinned to a stick and spins when it is pointed into the wind
823 | r | pipe.n.01 | tobacco_pipe | tobacco_pipe | a tube with a small bowl at one end; used for smoking tobacco
824 | f | pipe.n.02 | pipe | pipe, piping | a long tube made of metal or plastic that is used to carry water or oil or gas etc.
825 | r | pistol.n.01 | pistol | pistol, handgun | a firearm that is held and fired with one hand
826 | r | pita.n.01 | pita_(bread) | pita_(bread), pocket_bread | usually small round bread that can open into a pocket for filling
827 | f | pitcher.n.02 | pitcher_(vessel_for_liquid) | pitcher_(vessel_for_liquid), ewer | an open vessel with a handle and a spout for pouring
828 | r | pitchfork.n.01 | pitchfork | pitchfork | a long-handled hand tool with sharp widely spaced prongs for lifting and pitching hay
829 | f | pizza.n.01 | pizza | pizza | Italian open pie made of thin bread dough spread with a spiced mixture of e.g. tomato sauce and cheese
830 | f | place_mat.n.01 | place_mat | place_mat | a mat placed on a table for an individual place setting
831 | f | plate.n.04 | plate | plate | dish on which food is served or from which food is eaten
832 | c | platter.n.01 | platter | platter | a large shallow dish used for serving food
833 | r | playing_card.n.01 | playing_card | playing_card | one of a pack of cards that are used to play card games
834 | r | playpen.n.01 | playpen | playpen | a portable enclosure in which babies may be left to play
835 | c | pliers.n.01 | pliers | pliers, plyers | a gripping hand tool with two hinged arms and (usually) serrated jaws
836 | r | plow.n.01 | plow_(farm_equipment) | plow_(farm_equipment), plough_(farm_equipment) | a farm tool having one or more heavy blades to break the soil and cut a furrow prior to sowing
837 | r | pocket_watch.n.01 | pocket_watch | pocket_watch | a watch that is carried in a small watch pocket
838 | c | pocketknife.n.01 | pocketknife | pocketknife | a knife with a blade that folds into the handle; suitable for carrying in the pocket
839 | c | poker.n.01 | poker_(fire_stirring_tool) | poker_(fire_stirring_tool), stove_poker, fire_hook | fire iron consisting of a metal rod with a handle; used to stir a fire
840 | f | pole.n.01 | pole | pole, post | a long (usually round) rod of wood or metal or plastic
841 | r | police_van.n.01 | police_van | police_van, police_wagon, paddy_wagon, patrol_wagon | van used by police to transport prisoners
842 | f | polo_shirt.n.01 | polo_shirt | polo_shirt, sport_shirt | a shirt with short sleeves designed for comfort and casual wear
843 | r | poncho.n.01 | poncho | poncho | a blanket-like cloak with a hole in the center for the head
844 | c | pony.n.05 | pony | pony | any of various breeds of small gentle horses usually less than five feet high at the shoulder
845 | r | pool_table.n.01 | pool_table | pool_table, billiard_table, snooker_table | game equipment consisting of a heavy table on which pool is played
846 | f | pop.n.02 | pop_(soda) | pop_(soda), soda_(pop), tonic, soft_drink | a sweet drink containing carbonated water and flavoring
847 | r | portrait.n.02 | portrait | portrait, portrayal | any likeness of a person, in any medium
848 | c | postbox.n.01 | postbox_(public) | postbox_(public), mailbox_(public) | public box for deposit of mail
849 | c | postcard.n.01 | postcard | postcard, postal_card, mailing-card | a card for sending messages by post without an envelope
850 | f | poster.n.01 | poster | poster, placard | a sign posted in a public place as an advertisement
851 | f | pot.n.01 | pot | pot | metal or earthenware cooking vessel that is usually round and deep; often has a handle and lid
852 | f | pot.n.04 | flowerpot | flowerpot | a container in which plants are cultivated
853 | f | potato.n.01 | potato | potato | an edible tuber native to South America
854 | c | potholder.n.01 | potholder | potholder | an insulated pad for holding hot pots
855 | c | pottery.n.01 | pottery | pottery, clayware | ceramic ware made from clay and baked in a kiln
856 | c | pouch.n.01 | pouch | pouch | a small or medium size container for holding or carrying things
857 | r | power_shovel.n.01 | power_shovel | power_shovel, excavator, digger | a machine for excavating
858 | c | prawn.n.01 | prawn | prawn, shrimp | any of various edible decapod crustaceans
859 | f | printer.n.03 | printer | printer, printing_machine | a machine that prints
860 | c | projectile.n.01 | projectile_(weapon) | projectile_(weapon), missile | a weapon that is forcibly thrown or projected at a targets
861 | c | projector.n.02 | projector | projector | an optical instrument that projects an enlarged image onto a screen
862 | f | propeller.n.01 | propeller | propeller, propellor | a mechanical device that rotates to push against air or water
863 | r | prune.n.01 | prune | prune | dried plum
864 | r | pudding.n.01 | pudding | pudding | any of various soft thick unsweetened baked dishes
865 | r | puffer.n.02 | puffer_(fish) | puffer_(fish), pufferfish, blowfish, globefish | fishes whose elongated spiny body can inflate itself with water or air to form a globe
866 | r | puffin.n.01 | puffin | puffin | seabirds having short necks and brightly colored compressed bills
867 | r | pug.n.01 | pug-dog | pug-dog | small compact smooth-coated breed of Asiatic origin having a tightly curled tail and broad flat wrinkled muzzle
868 | c | pumpkin.n.02 | pumpkin | pumpkin | usually large pulpy deep-yellow round fruit of the squash family maturing in late summer or early autumn
869 | r | punch.n.03 | puncher | puncher | a tool for making holes or indentations
870 | r | puppet.n.01 | puppet | puppet, marionette | a small figure of a person operated from above with strings by a puppeteer
871 | r | puppy.n.01 | puppy | puppy | a young dog
872 | r | quesadilla.n.01 | quesadilla | quesadilla | a tortilla that is filled with cheese and heated
873 | r | quiche.n.02 | quiche | quiche | a tart filled with rich unsweetened custard; often contains other ingredients (as cheese or ham or seafood or vegetables)
874 | f | quilt.n.01 | quilt | quilt, comforter | bedding made of two layers of cloth filled with stuffing and stitched together
875 | c | rabbit.n.01 | rabbit | rabbit | any of various burrowing animals of the family Leporidae having long ears and short tails
876 | r | racer.n.02 | race_car | race_car, racing_car | a fast car that competes in races
877 | c | racket.n.04 | racket | racket, racquet | a sports implement used to strike a ball in various games
878 | r | radar.n.01 | radar | radar | measuring instrument in which the echo of a pulse of microwave radiation is used to detect and locate distant objects
879 | c | radiator.n.03 | radiator | radiator | a mechanism consisting of a metal honeycomb through which hot fluids circulate
880 | c | radio_receiver.n.01 | radio_receiver | radio_receiver, radio_set, radio, tuner_(radio) | an electronic receiver that detects and demodulates and amplifies transmitted radio signals
881 | c | radish.n.03 | radish | radish, daikon | pungent edible root of any of various cultivated radish plants
882 | c | raft.n.01 | raft | raft | a flat float (usually made of logs or planks) that can be used for transport or as a platform for swimmers
883 | r | rag_doll.n.01 | rag_doll | rag_doll | a cloth doll that is stuffed and (usually) painted
884 | c | raincoat.n.01 | raincoat | raincoat, waterproof_jacket | a water-resistant coat
885 | c | ram.n.05 | ram_(animal) | ram_(animal) | uncastrated adult male sheep
886 | c | raspberry.n.02 | raspberry | raspberry | red or black edible aggregate berries usually smaller than the related blackberries
887 | r | rat.n.01 | rat | rat | any of various long-tailed rodents similar to but larger than a mouse
888 | c | razorblade.n.01 | razorblade | razorblade | a blade that has very sharp edge
889 | c | reamer.n.01 | reamer_(juicer) | reamer_(juicer), juicer, juice_reamer | a squeezer with a conical ridged center that is used for squeezing juice from citrus fruit
890 | f | rearview_mirror.n.01 | rearview_mirror | rearview_mirror | car mirror that reflects the view out of the rear window
891 | c | receipt.n.02 | receipt | receipt | an acknowledgment (usually tangible) that payment has been made
892 | c | recliner.n.01 | recliner | recliner, reclining_chair, lounger_(chair) | an armchair whose back can be lowered and foot can be raised to allow the sitter to recline in it
893 | r | record_player.n.01 | record_player | record_player, phonograph_(record_player), turntable | machine in which rotating records cause a stylus to vibrate and the vibrations are amplified acoustically or electronically
894 | r | red_cabbage.n.02 | red_cabbage | red_cabbage | compact head of purplish-red leaves
895 | f | reflector.n.01 | reflector | reflector | device that reflects light, radiation, etc.
896 | f | remote_control.n.01 | remote_control | remote_control | a device that can be used to control a machine or apparatus from a distance
897 | c | rhinoceros.n.01 | rhinoceros | rhinoceros | massive powerful herbivorous odd-toed ungulate of southeast Asia and Africa having very thick skin and one or two horns on the snout
898 | r | rib.n.03 | rib_(food) | rib_(food) | cut of meat including one or more ribs
899 | r | rifle.n.01 | rifle | rifle | a shoulder firearm with a long barrel
900 | f | ring.n.08 | ring | ring | jewelry consisting of a circlet of precious metal (often set with jewels) worn on the finger
901 | r | river_boat.n.01 | river_boat | river_boat | a boat used on rivers or to ply a river
902 | r | road_map.n.02 | road_map | road_map | (NOT A ROAD) a MAP showing roads (for automobile travel)
903 | c | robe.n.01 | robe | robe | any loose flowing garment
904 | c | rocking_chair.n.01 | rocking_chair | rocking_chair | a chair mounted on rockers
905 | r | roller_skate.n.01 | roller_skate | roller_skate | a shoe with pairs of rollers (small hard wheels) fixed to the sole
906 | r | rollerblade.n.01 | Rollerblade | Rollerblade | an in-line variant of a roller skate
907 | c | rolling_pin.n.01 | rolling_pin | rolling_pin | utensil consisting of a cylinder (usually of wood) with a handle at each end; used to roll out dough
908 | r | root_beer.n.01 | root_beer | root_beer | carbonated drink containing extracts of roots and herbs
909 | c | router.n.02 | router_(computer_equipment) | router_(computer_equipment) | a device that forwards data packets between computer networks
910 | f | rubber_band.n.01 | rubber_band | rubber_band, elastic_band | a narrow band of elastic rubber used to hold things (such as papers) together
911 | c | runner.n.08 | runner_(carpet) | runner_(carpet) | a long narrow carpet
912 | f | sack.n.01 | plastic_bag | plastic_bag, paper_bag | a bag made of paper or plastic for holding customer's purchases
913 | f | saddle.n.01 | saddle_(on_an_animal) | saddle_(on_an_animal) | a seat for the rider of a horse or camel
914 | f | saddle_blanket.n.01 | saddle_blanket | saddle_blanket, saddlecloth, horse_blanket | stable gear consisting of a blanket placed under the saddle
915 | c | saddlebag.n.01 | saddlebag | saddlebag | a large bag (or pair of bags) hung over a saddle
916 | r | safety_pin.n.01 | safety_pin | safety_pin | a pin in the form of a clasp; has a guard so the point of the pin will not stick the user
917 | c | sail.n.01 | sail | sail | a large piece of fabric by means of which wind is used to propel a sailing vessel
918 | c | salad.n.01 | salad | salad | food mixtures either arranged on a plate or tossed and served with a moist dressing; usually consisting of or including greens
919 | r | salad_plate.n.01 | salad_plate | salad_plate, salad_bowl | a plate or bowl for individual servings of salad
920 | r | salami.n.01 | salami | salami | highly seasoned fatty sausage of pork and beef usually dried
921 | r | salmon.n.01 | salmon_(fish) | salmon_(fish) | any of various large food and game fishes of northern waters
922 | r | salmon.n.03 | salmon_(food) | salmon_(food) | flesh of any of various marine or freshwater fish of the family Salmonidae
923 | r | salsa.n.01 | salsa | salsa | spicy sauce of tomatoes and onions and chili peppers to accompany Mexican foods
924 | f | saltshaker.n.01 | saltshaker | saltshaker | a shaker with a perforated top for sprinkling salt
925 | f | sandal.n.01 | sandal_(type_of_shoe) | sandal_(type_of_shoe) | a shoe consisting of a sole fastened by straps to the foot
926 | f | sandwich.n.01 | sandwich | sandwich | two (or more) slices of bread with a filling between them
927 | r | satchel.n.01 | satchel | satchel | luggage consisting of a small case with a flat bottom and (usually) a shoulder strap
928 | r | saucepan.n.01 | saucepan | saucepan | a deep pan with a handle; used for stewing or boiling
929 | f | saucer.n.02 | saucer | saucer | a small shallow dish for holding a cup at the table
930 | f | sausage.n.01 | sausage | sausage | highly seasoned minced meat stuffed in casings
931 | r | sawhorse.n.01 | sawhorse | sawhorse, sawbuck | a framework for holding wood that is being sawed
932 | r | sax.n.02 | saxophone | saxophone | a wind instrument with a `J'-shaped form typically made of brass
933 | f | scale.n.07 | scale_(measuring_instrument) | scale_(measuring_instrument) | a measuring instrument for weighing; shows amount of mass
934 | r | scarecrow.n.01 | scarecrow | scarecrow, strawman | an effigy in the shape of a man to frighten birds away from seeds
935 | f | scarf.n.01 | scarf | scarf | a garment worn around the head or neck or shoulders for warmth or decoration
936 | c | school_bus.n.01 | school_bus | school_bus | a bus used to transport children to or from school
937 | f | scissors.n.01 | scissors | scissors | a tool having two crossed pivoting blades with looped handles
938 | c | scoreboard.n.01 | scoreboard | scoreboard | a large board for displaying the score of a contest (and some other information)
939 | c | scrambled_eggs.n.01 | scrambled_eggs | scrambled_eggs | eggs beaten and cooked to a soft firm consistency while stirring
940 | r | scraper.n.01 | scraper | scraper | any of various hand tools for scraping
941 | r | scratcher.n.03 | scratcher | scratcher | a device used for scratching
942 | c | screwdriver.n.01 | screwdriver | screwdriver | a hand tool for driving screws; has a tip that fits into the head of a screw
943 | c | scrub_brush.n.01 | scrubbing_brush | scrubbing_brush | a brush with short stiff bristles for heavy cleaning
944 | c | sculpture.n.01 | sculpture | sculpture | a three-dimensional work of art
945 | r | seabird.n.01 | seabird | seabird, seafowl | a bird that frequents coastal waters and the open ocean: gulls; pelicans; gannets; cormorants; albatrosses; petrels; etc.
946 | r | seahorse.n.02 | seahorse | seahorse | small fish with horse-like heads bent sharply downward and curled tails
947 | r | seaplane.n.01 | seaplane | seaplane, hydroplane | an airplane that can land on or take off from water
948 | c | seashell.n.01 | seashell | seashell | the shell of a marine organism
949 | r | seedling.n.01 | seedling | seedling | young plant or tree grown from a seed
950 | c | serving_dish.n.01 | serving_dish | serving_dish | a dish used for serving food
951 | r | sewing_machine.n.01 | sewing_machine | sewing_machine | a textile machine used as a home appliance for sewing
952 | r | shaker.n.03 | shaker | shaker | a container in which something can be shaken
953 | c | shampoo.n.01 | shampoo | shampoo | cleansing agent consisting of soaps or detergents used for washing the hair
954 | r | shark.n.01 | shark | shark | typically large carnivorous fishes with sharpe teeth
955 | r | sharpener.n.01 | sharpener | sharpener | any implement that is used to make something (an edge or a point) sharper
956 | r | sharpie.n.03 | Sharpie | Sharpie | a pen with indelible ink that will write on any surface
957 | r | shaver.n.03 | shaver_(electric) | shaver_(electric), electric_shaver, electric_razor | a razor powered by an electric motor
958 | c | shaving_cream.n.01 | shaving_cream | shaving_cream, shaving_soap | toiletry consisting that forms a rich lather for softening the beard before shaving
959 | r | shawl.n.01 | shawl | shawl | cloak consisting of an oblong piece of cloth used to cover the head and shoulders
960 | r | shears.n.01 | shears | shears | large scissors with strong blades
961 | f | sheep.n.01 | sheep | sheep | woolly usually horned ruminant mammal related to the goat
962 | r | shepherd_dog.n.01 | shepherd_dog | shepherd_dog, sheepdog | any of various usually long-haired breeds of dog reared to herd and guard sheep
963 | r | sherbert.n.01 | sherbert | sherbert, sherbet | a frozen dessert made primarily of fruit juice and sugar
964 | r | shield.n.02 | shield | shield | armor carried on the arm to intercept blows
965 | f | shirt.n.01 | shirt | shirt | a garment worn on the upper half of the body
966 | f | shoe.n.01 | shoe | shoe, sneaker_(type_of_shoe), tennis_shoe | common footwear covering the foot
967 | c | shopping_bag.n.01 | shopping_bag | shopping_bag | a bag made of plastic or strong paper (often with handles); used to transport goods after shopping
968 | c | shopping_cart.n.01 | shopping_cart | shopping_cart | a handcart that holds groceries or other goods while shopping
969 | f | short_pants.n.01 | short_pants | short_pants, shorts_(clothing), trunks_(clothing) | trousers that end at or above the knee
970 | r | shot_glass.n.01 | shot_glass | shot_glass | a small glass adequate to hold a single swallow of whiskey
971 | c | shoulder_bag.n.01 | shoulder_bag | shoulder_bag | a large handbag that can be carried by a strap looped over the shoulder
972 | c | shovel.n.01 | shovel | shovel | a hand tool for lifting loose material such as snow, dirt, etc.
973 | f | shower.n.01 | shower_head | shower_head | a plumbing fixture that sprays water over you
974 | f | shower_curtain.n.01 | shower_curtain | shower_curtain | a curtain that keeps water from splashing out of the shower area
975 | r | shredder.n.01 | shredder_(for_paper) | shredder_(for_paper) | a device that shreds documents
976 | r | sieve.n.01 | sieve | sieve, screen_(sieve) | a strainer for separating lumps from powdered material or grading particles
977 | f | signboard.n.01 | signboard | signboard | structure displaying a board on which advertisements can be posted
978 | c | silo.n.01 | silo | silo | a cylindrical tower used for storing goods
979 | f | sink.n.01 | sink | sink | plumbing fixture consisting of a water basin fixed to a wall or floor and having a drainpipe
980 | f | skateboard.n.01 | skateboard | skateboard | a board with wheels that is ridden in a standing or crouching position and propelled by foot
981 | c | skewer.n.01 | skewer | skewer | a long pin for holding meat in position while it is being roasted
982 | f | ski.n.01 | ski | ski | sports equipment for skiing on snow
983 | f | ski_boot.n.01 | ski_boot | ski_boot | a stiff boot that is fastened to a ski with a ski binding
984 | f | ski_parka.n.01 | ski_parka | ski_parka, ski_jacket | a parka to be worn while skiing
985 | f | ski_pole.n.01 | ski_pole | ski_pole | a pole with metal points used as an aid in skiing
986 | f | skirt.n.02 | skirt | skirt | a garment hanging from the waist; worn mainly by girls and women
987 | c | sled.n.01 | sled | sled, sledge, sleigh | a vehicle or flat object for transportation over snow by sliding or pulled by dogs, etc.
988 | c | sleeping_bag.n.01 | sleeping_bag | sleeping_bag | large padded bag designed to be slept in outdoors
989 | r | sling.n.05 | sling_(bandage) | sling_(bandage), triangular_bandage | bandage to support an injured forearm; slung over the shoulder or neck
990 | c | slipper.n.01 | slipper_(footwear) | slipper_(footwear), carpet_slipper_(footwear) | low footwear that can be slipped on and off easily; usually worn indoors
991 | r | smoothie.n.02 | smoothie | smoothie | a thick smooth drink consisting of fresh fruit pureed with ice cream or yoghurt or milk
992 | r | snake.n.01 | snake | snake, serpent | limbless scaly elongate reptile; some are venomous
993 | f | snowboard.n.01 | snowboard | snowboard | a board that resembles a broad ski or a small surfboard; used in a standing position to slide down snow-covered slopes
994 | c | snowman.n.01 | snowman | snowman | a figure of a person made of packed snow
995 | c | snowmobile.n.01 | snowmobile | snowmobile | tracked vehicle for travel on snow having skis in front
996 | f | soap.n.01 | soap | soap | a cleansing agent made from the salts of vegetable or animal fats
997 | f | soccer_ball.n.01 | soccer_ball | soccer_ball | an inflated ball used in playing soccer (called `football' outside of the United States)
998 | f | sock.n.01 | sock | sock | cloth covering for the foot; worn inside the shoe; reaches to between the ankle and the knee
999 | r | soda_fountain.n.02 | soda_fountain | soda_fountain | an apparatus for dispensing soda water
1000 | r | soda_water.n.01 | carbonated_water | carbonated_water, club_soda, seltzer, sparkling_water | effervescent beverage artificially charged with carbon dioxide
1001 | f | sofa.n.01 | sofa | sofa, couch, lounge | an upholstered seat for more than one person
1002 | r | softball.n.01 | softball | softball | ball used in playing softball
1003 | c | solar_array.n.01 | solar_array | solar_array, solar_battery, solar_panel | electrical device consisting of a large array of connected solar cells
1004 | r | sombrero.n.02 | sombrero | sombrero | a straw hat with a tall crown and broad brim; worn in American southwest and in Mexico
1005 | c | soup.n.01 | soup | soup | liquid food especially of meat or fish or vegetable stock often containing pieces of solid food
1006 | r | soup_bowl.n.01 | soup_bowl | soup_bowl | a bowl for serving soup
1007 | c | soupspoon.n.01 | soupspoon | soupspoon | a spoon with a rounded bowl for eating soup
1008 | c | sour_cream.n.01 | sour_cream | sour_cream, soured_cream | soured light cream
1009 | r | soya_milk.n.01 | soya_milk | soya_milk, soybean_milk, soymilk | a milk substitute containing soybean flour and water; used in some infant formulas and in making tofu
1010 | r | space_shuttle.n.01 | space_shuttle | space_shuttle | a reusable spacecraft with wings for a controlled descent through the Earth's atmosphere
1011 | r | sparkler.n.02 | sparkler_(fireworks) | sparkler_(fireworks) | a firework that burns slowly and throws out a shower of sparks
1012 | f | spatula.n.02 | spatula | spatula | a hand tool with a thin flexible blade used to mix or spread soft substances
1013 | r | spear.n.01 | spear | spear, lance | a long pointed rod used as a tool or weapon
1014 | f | spectacles.n.01 | spectacles | spectacles, specs, eyeglasses, glasses | optical instrument consisting of a frame that holds a pair of lenses for correcting defective vision
1015 | c | spice_rack.n.01 | spice_rack | spice_rack | a rack for displaying containers filled with spices
1016 | r | spider.n.01 | spider | spider | predatory arachnid with eight legs, two poison fangs, two feelers, and usually two silk-spinning organs at the back end of the body
1017 | c | sponge.n.01 | sponge | sponge | a porous mass usable to absorb water typically used for cleaning
1018 | f | spoon.n.01 | spoon | spoon | a piece of cutlery with a shallow bowl-shaped container and a handle
1019 | c | sportswear.n.01 | sportswear | sportswear, athletic_wear, activewear | attire worn for sport or for casual wear
1020 | c | spotlight.n.02 | spotlight | spotlight | a lamp that produces a strong beam of light to illuminate a restricted area; used to focus attention of a stage performer
1021 | r | squirrel.n.01 | squirrel | squirrel | a kind of arboreal rodent having a long bushy tail
1022 | c | stapler.n.01 | stapler_(stapling_machine) | stapler_(stapling_machine) | a machine that inserts staples into sheets of paper in order to fasten them together
1023 | r | starfish.n.01 | starfish | starfish, sea_star | echinoderms characterized by five arms extending from a central disk
1024 | f | statue.n.01 | statue_(sculpture) | statue_(sculpture) | a sculpture representing a human or animal
1025 | c | steak.n.01 | steak_(food) | steak_(food) | a slice of meat cut from the fleshy part of an animal or large fish
1026 | r | steak_knife.n.01 | steak_knife | steak_knife | a sharp table knife used in eating steak
1027 | r | steamer.n.02 | steamer_(kitchen_appliance) | steamer_(kitchen_appliance) | a cooking utensil that can be used to cook food by steaming it
1028 | f | steering_wheel.n.01 | steering_wheel | steering_wheel | a handwheel that is used for steering
1029 | r | stencil.n.01 | stencil | stencil | a sheet of material (metal, plastic, etc.) that has been perforated with a pattern; ink or paint can pass through the perforations to create the printed pattern on the surface below
1030 | r | step_ladder.n.01 | stepladder | stepladder | a folding portable ladder hinged at the top
1031 | c | step_stool.n.01 | step_stool | step_stool | a stool that has one or two steps that fold under the seat
1032 | c | stereo.n.01 | stereo_(sound_system) | stereo_(sound_system) | electronic device for playing audio
1033 | r | stew.n.02 | stew | stew | food prepared by stewing especially meat or fish with vegetables
1034 | r | stirrer.n.02 | stirrer | stirrer | an implement used for stirring
1035 | f | stirrup.n.01 | stirrup | stirrup | support consisting of metal loops into which rider's feet go
1036 | c | stocking.n.01 | stockings_(leg_wear) | stockings_(leg_wear) | close-fitting hosiery to cover the foot and leg; come in matched pairs
1037 | f | stool.n.01 | stool | stool | a simple seat without a back or arms
1038 | f | stop_sign.n.01 | stop_sign | stop_sign | a traffic sign to notify drivers that they must come to a complete stop
1039 | f | stoplight.n.01 | brake_light | brake_light | a red light on the rear of a motor vehicle that signals when the brakes are applied
1040 | f | stove.n.01 | stove | stove, kitchen_stove, range_(kitchen_appliance), kitchen_range, cooking_stove | a kitchen appliance used for cooking food
1041 | c | strainer.n.01 | strainer | strainer | a filter to retain larger pieces while smaller pieces and liquids pass through
1042 | f | strap.n.01 | strap | strap | an elongated strip of material for binding things together or holding
1043 | f | straw.n.04 | straw_(for_drinking) | straw_(for_drinking), drinking_straw | a thin paper or plastic tube used to suck liquids into the mouth
1044 | f | strawberry.n.01 | strawberry | strawberry | sweet fleshy red fruit
1045 | f | street_sign.n.01 | street_sign | street_sign | a sign visible from the street
1046 | f | streetlight.n.01 | streetlight | streetlight, street_lamp | a lamp supported on a lamppost; for illuminating a street
1047 | r | string_cheese.n.01 | string_cheese | string_cheese | cheese formed in long strings twisted together
1048 | r | stylus.n.02 | stylus | stylus | a pointed tool for writing or drawing or engraving
1049 | r | subwoofer.n.01 | subwoofer | subwoofer | a loudspeaker that is designed to reproduce very low bass frequencies
1050 | r | sugar_bowl.n.01 | sugar_bowl | sugar_bowl | a dish in which sugar is served
1051 | r | sugarcane.n.01 | sugarcane_(plant) | sugarcane_(plant) | juicy canes whose sap is a source of molasses and commercial sugar; fresh canes are sometimes chewed for the juice
1052 | c | suit.n.01 | suit_(clothing) | suit_(clothing) | a set of garments (usually including a jacket and trousers or skirt) for outerwear all of the same fabric and color
1053 | c | sunflower.n.01 | sunflower | sunflower | any plant of the genus Helianthus having large flower heads with dark disk florets and showy yellow rays
1054 | f | sunglasses.n.01 | sunglasses | sunglasses | spectacles that are darkened or polarized to protect the eyes from the glare of the sun
1055 | c | sunhat.n.01 | sunhat | sunhat | a hat with a broad brim that protects the face from direct exposure to the sun
1056 | r | sunscreen.n.01 | sunscreen | sunscreen, sunblock | a cream spread on the skin; contains a chemical to filter out ultraviolet light and so protect from sunburn
1057 | f | surfboard.n.01 | surfboard | surfboard | a narrow buoyant board for riding surf
1058 | c | sushi.n.01 | sushi | sushi | rice (with raw fish) wrapped in seaweed
1059 | c | swab.n.02 | mop | mop | cleaning implement consisting of absorbent material fastened to a handle; for cleaning floors
1060 | c | sweat_pants.n.01 | sweat_pants | sweat_pants | loose-fitting trousers with elastic cuffs; worn by athletes
1061 | c | sweatband.n.02 | sweatband | sweatband | a band of material tied around the forehead or wrist to absorb sweat
1062 | f | sweater.n.01 | sweater | sweater | a crocheted or knitted garment covering the upper part of the body
1063 | f | sweatshirt.n.01 | sweatshirt | sweatshirt | cotton knit pullover with long sleeves worn during athletic activity
1064 | c | sweet_potato.n.02 | sweet_potato | sweet_potato | the edible tuberous root of the sweet potato vine
1065 | f | swimsuit.n.01 | swimsuit | swimsuit, swimwear, bathing_suit, swimming_costume, bathing_costume, swimming_trunks, bathing_trunks | garment worn for swimming
1066 | c | sword.n.01 | sword | sword | a cutting or thrusting weapon that has a long metal blade
1067 | r | syringe.n.01 | syringe | syringe | a medical instrument used to inject or withdraw fluids
1068 | r | tabasco.n.02 | Tabasco_sauce | Tabasco_sauce | very spicy sauce (trade name Tabasco) made from fully-aged red peppers
1069 | r | table-tennis_table.n.01 | table-tennis_table | table-tennis_table, ping-pong_table | a table used for playing table tennis
1070 | f | table.n.02 | table | table | a piece of furniture having a smooth flat top that is usually supported by one or more vertical legs
1071 | c | table_lamp.n.01 | table_lamp | table_lamp | a lamp that sits on a table
1072 | f | tablecloth.n.01 | tablecloth | tablecloth | a covering spread over a dining table
1073 | r | tachometer.n.01 | tachometer | tachometer | measuring instrument for indicating speed of rotation
1074 | r | taco.n.02 | taco | taco | a small tortilla cupped around a filling
1075 | f | tag.n.02 | tag | tag | a label associated with something for the purpose of identification or information
1076 | f | taillight.n.01 | taillight | taillight, rear_light | lamp (usually red) mounted at the rear of a motor vehicle
1077 | r | tambourine.n.01 | tambourine | tambourine | a shallow drum with a single drumhead and with metallic disks in the sides
1078 | r | tank.n.01 | army_tank | army_tank, armored_combat_vehicle, armoured_combat_vehicle | an enclosed armored military vehicle; has a cannon and moves on caterpillar treads
1079 | c | tank.n.02 | tank_(storage_vessel) | tank_(storage_vessel), storage_tank | a large (usually metallic) vessel for holding gases or liquids
1080 | f | tank_top.n.01 | tank_top_(clothing) | tank_top_(clothing) | a tight-fitting sleeveless shirt with wide shoulder straps and low neck and no front opening
1081 | c | tape.n.01 | tape_(sticky_cloth_or_paper) | tape_(sticky_cloth_or_paper) | a long thin piece of cloth or paper as used for binding or fastening
1082 | c | tape.n.04 | tape_measure | tape_measure, measuring_tape | measuring instrument consisting of a narrow strip (cloth or metal) marked in inches or centimeters and used for measuring lengths
1083 | c | tapestry.n.02 | tapestry | tapestry | a heavy textile with a woven design; used for curtains and upholstery
1084 | f | tarpaulin.n.01 | tarp | tarp | waterproofed canvas
1085 | c | tartan.n.01 | tartan | tartan, plaid | a cloth having a crisscross design
1086 | c | tassel.n.01 | tassel | tassel | adornment consisting of a bunch of cords fastened at one end
1087 | r | tea_bag.n.01 | tea_bag | tea_bag | a measured amount of tea in a bag for an individual serving of tea
1088 | c | teacup.n.02 | teacup | teacup | a cup from which tea is drunk
1089 | c | teakettle.n.01 | teakettle | teakettle | kettle for boiling water to make tea
1090 | c | teapot.n.01 | teapot | teapot | pot for brewing tea; usually has a spout and handle
1091 | f | teddy.n.01 | teddy_bear | teddy_bear | plaything consisting of a child's toy bear (usually plush and stuffed with soft materials)
1092 | f | telephone.n.01 | telephone | telephone, phone, telephone_set | electronic device for communicating by voice over long distances
1093 | c | telephone_booth.n.01 | telephone_booth | telephone_booth, phone_booth, call_box, telephone_box, telephone_kiosk | booth for using a telephone
1094 | f | telephone_pole.n.01 | telephone_pole | telephone_pole, telegraph_pole, telegraph_post | tall pole supporting telephone wires
1095 | r | telephoto_lens.n.01 | telephoto_lens | telephoto_lens, zoom_lens | a camera lens that magnifies the image
1096 | c | television_camera.n.01 | television_camera | television_camera, tv_camera | television equipment for capturing and recording video
1097 | f | television_receiver.n.01 | television_set | television_set, tv, tv_set | an electronic device that receives television signals and displays them on a screen
1098 | f | tennis_ball.n.01 | tennis_ball | tennis_ball | ball about the size of a fist used in playing tennis
1099 | f | tennis_racket.n.01 | tennis_racket | tennis_racket | a racket used to play tennis
1100 | r | tequila.n.01 | tequila | tequila | Mexican liquor made from fermented juices of an agave plant
1101 | c | thermometer.n.01 | thermometer | thermometer | measuring instrument for measuring temperature
1102 | c | thermos.n.01 | thermos_bottle | thermos_bottle | vacuum flask that preserves temperature of hot or cold drinks
1103 | c | thermostat.n.01 | thermostat | thermostat | a regulator for automatically regulating temperature by starting or stopping the supply of heat
1104 | r | thimble.n.02 | thimble | thimble | a small metal cap to protect the finger while sewing; can be used as a small container
1105 | c | thread.n.01 | thread | thread, yarn | a fine cord of twisted fibers (of cotton or silk or wool or nylon etc.) used in sewing and weaving
1106 | c | thumbtack.n.01 | thumbtack | thumbtack, drawing_pin, pushpin | a tack for attaching papers to a bulletin board or drawing board
1107 | c | tiara.n.01 | tiara | tiara | a jeweled headdress worn by women on formal occasions
1108 | c | tiger.n.02 | tiger | tiger | large feline of forests in most of Asia having a tawny coat with black stripes
1109 | c | tights.n.01 | tights_(clothing) | tights_(clothing), leotards | skintight knit hose covering the body from the waist to the feet worn by acrobats and dancers and as stockings by women and girls
1110 | c | timer.n.01 | timer | timer, stopwatch | a timepiece that measures a time interval and signals its end
1111 | f | tinfoil.n.01 | tinfoil | tinfoil | foil made of tin or an alloy of tin and lead
1112 | r | tinsel.n.01 | tinsel | tinsel | a showy decoration that is basically valueless
1113 | f | tissue.n.02 | tissue_paper | tissue_paper | a soft thin (usually translucent) paper
1114 | c | toast.n.01 | toast_(food) | toast_(food) | slice of bread that has been toasted
1115 | f | toaster.n.02 | toaster | toaster | a kitchen appliance (usually electric) for toasting bread
1116 | c | toaster_oven.n.01 | toaster_oven | toaster_oven | kitchen appliance consisting of a small electric oven for toasting or warming food
1117 | f | toilet.n.02 | toilet | toilet | a plumbing fixture for defecation and urination
1118 | f | toilet_tissue.n.01 | toilet_tissue | toilet_tissue, toilet_paper, bathroom_tissue | a soft thin absorbent paper for use in toilets
1119 | f | tomato.n.01 | tomato | tomato | mildly acid red or yellow pulpy fruit eaten as a vegetable
1120 | c | tongs.n.01 | tongs | tongs | any of various devices for taking hold of objects; usually have two hinged legs with handles above and pointed hooks below
1121 | c | toolbox.n.01 | toolbox | toolbox | a box or chest or cabinet for holding hand tools
1122 | f | toothbrush.n.01 | toothbrush | toothbrush | small brush; has long handle; used to clean teeth
1123 | f | toothpaste.n.01 | toothpaste | toothpaste | a dentifrice in the form of a paste
1124 | c | toothpick.n.01 | toothpick | toothpick | pick consisting of a small strip of wood or plastic; used to pick food from between the teeth
1125 | c | top.n.09 | cover | cover | covering for a hole (especially a hole in the top of a container)
1126 | c | tortilla.n.01 | tortilla | tortilla | thin unleavened pancake made from cornmeal or wheat flour
1127 | c | tow_truck.n.01 | tow_truck | tow_truck | a truck equipped to hoist and pull wrecked cars (or to remove cars from no-parking zones)
1128 | f | towel.n.01 | towel | towel | a rectangular piece of absorbent cloth (or paper) for drying or wiping
1129 | f | towel_rack.n.01 | towel_rack | towel_rack, towel_rail, towel_bar | a rack consisting of one or more bars on which towels can be hung
1130 | f | toy.n.03 | toy | toy | a device regarded as providing amusement
1131 | c | tractor.n.01 | tractor_(farm_equipment) | tractor_(farm_equipment) | a wheeled vehicle with large wheels; used in farming and other applications
1132 | f | traffic_light.n.01 | traffic_light | traffic_light | a device to control vehicle traffic often consisting of three or more lights
1133 | r | trail_bike.n.01 | dirt_bike | dirt_bike | a lightweight motorcycle equipped with rugged tires and suspension for off-road use
1134 | c | trailer_truck.n.01 | trailer_truck | trailer_truck, tractor_trailer, trucking_rig, articulated_lorry, semi_truck | a truck consisting of a tractor and trailer together
1135 | f | train.n.01 | train_(railroad_vehicle) | train_(railroad_vehicle), railroad_train | public or private transport provided by a line of railway cars coupled together and drawn by a locomotive
1136 | r | trampoline.n.01 | trampoline | trampoline | gymnastic apparatus consisting of a strong canvas sheet attached with springs to a metal frame
1137 | f | tray.n.01 | tray | tray | an open receptacle for holding or displaying or serving articles or food
1138 | r | tree_house.n.01 | tree_house | tree_house | (NOT A TREE) a PLAYHOUSE built in the branches of a tree
1139 | r | trench_coat.n.01 | trench_coat | trench_coat | a military style raincoat; belted with deep pockets
1140 | r | triangle.n.05 | triangle_(musical_instrument) | triangle_(musical_instrument) | a percussion instrument consisting of a metal bar bent in the shape of an open triangle
1141 | r | tricycle.n.01 | tricycle | tricycle | a vehicle with three wheels that is moved by foot pedals
1142 | c | tripod.n.01 | tripod | tripod | a three-legged rack used for support
1143 | f | trouser.n.01 | trousers | trousers, pants_(clothing) | a garment extending from the waist to the knee or ankle, covering each leg separately
1144 | f | truck.n.01 | truck | truck | an automotive vehicle suitable for hauling
1145 | r | truffle.n.03 | truffle_(chocolate) | truffle_(chocolate), chocolate_truffle | creamy chocolate candy
1146 | c | trunk.n.02 | trunk | trunk | luggage consisting of a large strong case used when traveling or for storage
1147 | r | tub.n.02 | vat | vat | a large open vessel for holding or storing liquids
1148 | c | turban.n.01 | turban | turban | a traditional headdress consisting of a long scarf wrapped around the head
1149 | r | turkey.n.01 | turkey_(bird) | turkey_(bird) | large gallinaceous bird with fan-shaped tail; widely domesticated for food
1150 | c | turkey.n.04 | turkey_(food) | turkey_(food) | flesh of large domesticated fowl usually roasted
1151 | r | turnip.n.01 | turnip | turnip | widely cultivated plant having a large fleshy edible white or yellow root
1152 | c | turtle.n.02 | turtle | turtle | any of various aquatic and land reptiles having a bony shell and flipper-like limbs for swimming
1153 | r | turtleneck.n.01 | turtleneck_(clothing) | turtleneck_(clothing), polo-neck | a sweater or jersey with a high close-fitting collar
1154 | r | typewriter.n.01 | typewriter | typewriter | hand-operated character printer for printing written messages one character at a time
1155 | f | umbrella.n.01 | umbrella | umbrella | a lightweight handheld collapsible canopy
1156 | c | underwear.n.01 | underwear | underwear, underclothes, underclothing, underpants | undergarment worn next to the skin and under the outer garments
1157 | r | unicycle.n.01 | unicycle | unicycle | a vehicle with a single wheel that is driven by pedals
1158 | c | urinal.n.01 | urinal | urinal | a plumbing fixture (usually attached to the wall) used by men to urinate
1159 | r | urn.n.01 | urn | urn | a large vase that usually has a pedestal or feet
1160 | c | vacuum.n.04 | vacuum_cleaner | vacuum_cleaner | an electrical home appliance that cleans by suction
1161 | c | valve.n.03 | valve | valve | control consisting of a mechanical device for controlling the flow of a fluid
1162 | f | vase.n.01 | vase | vase | an open jar of glass or porcelain used as an ornament or to hold flowers
1163 | c | vending_machine.n.01 | vending_machine | vending_machine | a slot machine for selling goods
1164 | f | vent.n.01 | vent | vent, blowhole, air_vent | a hole for the escape of gas or air
1165 | c | videotape.n.01 | videotape | videotape | a video recording made on magnetic tape
1166 | r | vinegar.n.01 | vinegar | vinegar | sour-tasting liquid produced usually by oxidation of the alcohol in wine or cider and used as a condiment or food preservative
1167 | r | violin.n.01 | violin | violin, fiddle | bowed stringed instrument that is the highest member of the violin family
1168 | r | vodka.n.01 | vodka | vodka | unaged colorless liquor originating in Russia
1169 | r | volleyball.n.02 | volleyball | volleyball | an inflated ball used in playing volleyball
1170 | r | vulture.n.01 | vulture | vulture | any of various large birds of prey having naked heads and weak claws and feeding chiefly on carrion
1171 | c | waffle.n.01 | waffle | waffle | pancake batter baked in a waffle iron
1172 | r | waffle_iron.n.01 | waffle_iron | waffle_iron | a kitchen appliance for baking waffles
1173 | c | wagon.n.01 | wagon | wagon | any of various kinds of wheeled vehicles drawn by an animal or a tractor
1174 | c | wagon_wheel.n.01 | wagon_wheel | wagon_wheel | a wheel of a wagon
1175 | c | walking_stick.n.01 | walking_stick | walking_stick | a stick carried in the hand for support in walking
1176 | c | wall_clock.n.01 | wall_clock | wall_clock | a clock mounted on a wall
1177 | f | wall_socket.n.01 | wall_socket | wall_socket, wall_plug, electric_outlet, electrical_outlet, outlet, electric_receptacle | receptacle providing a place in a wiring system where current can be taken to run electrical devices
1178 | c | wallet.n.01 | wallet | wallet, billfold | a pocket-size case for holding papers and paper money
1179 | r | walrus.n.01 | walrus | walrus | either of two large northern marine mammals having ivory tusks and tough hide over thick blubber
1180 | r | wardrobe.n.01 | wardrobe | wardrobe | a tall piece of furniture that provides storage space for clothes; has a door and rails or hooks for hanging clothes
1181 | r | wasabi.n.02 | wasabi | wasabi | the thick green root of the wasabi plant that the Japanese use in cooking and that tastes like strong horseradish
1182 | c | washer.n.03 | automatic_washer | automatic_washer, washing_machine | a home appliance for washing clothes and linens automatically
1183 | f | watch.n.01 | watch | watch, wristwatch | a small, portable timepiece
1184 | f | water_bottle.n.01 | water_bottle | water_bottle | a bottle for holding water
1185 | c | water_cooler.n.01 | water_cooler | water_cooler | a device for cooling and dispensing drinking water
1186 | c | water_faucet.n.01 | water_faucet | water_faucet, water_tap, tap_(water_faucet) | a faucet for drawing water from a pipe or cask
1187 | r | water_filter.n.01 | water_filter | water_filter | a filter to remove impurities from the water supply
1188 | r | water_heater.n.01 | water_heater | water_heater, hot-water_heater | a heater and storage tank to supply heated water
1189 | r | water_jug.n.01 | water_jug | water_jug | a jug that holds water
1190 | r | water_pistol.n.01 | water_gun | water_gun, squirt_gun | plaything consisting of a toy pistol that squirts water
1191 | c | water_scooter.n.01 | water_scooter | water_scooter, sea_scooter, jet_ski | a motorboat resembling a motor scooter (NOT A SURFBOARD OR WATER SKI)
1192 | c | water_ski.n.01 | water_ski | water_ski | broad ski for skimming over water towed by a speedboat (DO NOT MARK WATER)
1193 | c | water_tower.n.01 | water_tower | water_tower | a large reservoir for water
1194 | c | watering_can.n.01 | watering_can | watering_can | a container with a handle and a spout with a perforated nozzle; used to sprinkle water over plants
1195 | c | watermelon.n.02 | watermelon | watermelon | large oblong or roundish melon with a hard green rind and sweet watery red or occasionally yellowish pulp
1196 | f | weathervane.n.01 | weathervane | weathervane, vane_(weathervane), wind_vane | mechanical device attached to an elevated structure; rotates freely to show the direction of the wind
1197 | c | webcam.n.01 | webcam | webcam | a digital camera designed to take digital photographs and transmit them over the internet
1198 | c | wedding_cake.n.01 | wedding_cake | wedding_cake, bridecake | a rich cake with two or more tiers and covered with frosting and decorations; served at a wedding reception
1199 | c | wedding_ring.n.01 | wedding_ring | wedding_ring, wedding_band | a ring given to the bride and/or groom at the wedding
1200 | f | wet_suit.n.01 | wet_suit | wet_suit | a close-fitting garment made of a permeable material; worn in cold water to retain body heat
1201 | f | wheel.n.01 | wheel | wheel | a circular frame with spokes (or a solid disc) that can rotate on a shaft or axle
1202 | c | wheelchair.n.01 | wheelchair | wheelchair | a movable chair mounted on large wheels
1203 | c | whipped_cream.n.01 | whipped_cream | whipped_cream | cream that has been beaten until light and fluffy
1204 | r | whiskey.n.01 | whiskey | whiskey | a liquor made from fermented mash of grain
1205 | r | whistle.n.03 | whistle | whistle | a small wind instrument that produces a whistling sound by blowing into it
1206 | r | wick.n.02 | wick | wick | a loosely woven cord in a candle or oil lamp that is lit on fire
1207 | c | wig.n.01 | wig | wig | hairpiece covering the head and made of real or synthetic hair
1208 | c | wind_chime.n.01 | wind_chime | wind_chime | a decorative arrangement of pieces of metal or glass or pottery that hang together loosely so the wind can cause them to tinkle
1209 | c | windmill.n.01 | windmill | windmill | a mill that is powered by the wind
1210 | c | window_box.n.01 | window_box_(for_plants) | window_box_(for_plants) | a container for growing plants on a windowsill
1211 | f | windshield_wiper.n.01 | windshield_wiper | windshield_wiper, windscreen_wiper, wiper_(for_windshield/screen) | a mechanical device that cleans the windshield
1212 | c | windsock.n.01 | windsock | windsock, air_sock, air-sleeve, wind_sleeve, wind_cone | a truncated cloth cone mounted on a mast/pole; shows wind direction
1213 | f | wine_bottle.n.01 | wine_bottle | wine_bottle | a bottle for holding wine
1214 | r | wine_bucket.n.01 | wine_bucket | wine_bucket, wine_cooler | a bucket of ice used to chill a bottle of wine
1215 | f | wineglass.n.01 | wineglass | wineglass | a glass that has a stem and in which wine is served
1216 | r | wing_chair.n.01 | wing_chair | wing_chair | easy chair having wings on each side of a high back
1217 | c | winker.n.02 | blinder_(for_horses) | blinder_(for_horses) | blinds that prevent a horse from seeing something on either side
1218 | c | wok.n.01 | wok | wok | pan with a convex bottom; used for frying in Chinese cooking
1219 | r | wolf.n.01 | wolf | wolf | a wild carnivorous mammal of the dog family, living and hunting in packs
1220 | c | wooden_spoon.n.02 | wooden_spoon | wooden_spoon | a spoon made of wood
1221 | c | wreath.n.01 | wreath | wreath | an arrangement of flowers, leaves, or stems fastened in a ring
1222 | c | wrench.n.03 | wrench | wrench, spanner | a hand tool that is used to hold or twist a nut or bolt
1223 | c | wristband.n.01 | wristband | wristband | band consisting of a part of a sleeve that covers the wrist
1224 | f | wristlet.n.01 | wristlet | wristlet, wrist_band | a band or bracelet worn around the wrist
1225 | r | yacht.n.01 | yacht | yacht | an expensive vessel propelled by sail or power and used for cruising or racing
1226 | r | yak.n.02 | yak | yak | large long-haired wild ox of Tibet often domesticated
1227 | c | yogurt.n.01 | yogurt | yogurt, yoghurt, yoghourt | a custard-like food made from curdled milk
1228 | r | yoke.n.07 | yoke_(animal_equipment) | yoke_(animal_equipment) | gear joining two animals at the neck; NOT egg yolk
1229 | f | zebra.n.01 | zebra | zebra | any of several fleet black-and-white striped African equines
1230 | c | zucchini.n.02 | zucchini | zucchini, courgette | small cucumber-shaped vegetable marrow; typically dark green
"""

LVIS_CATEGORIES = parse_lvis_category_table(_TABLE)
